-- mailtrail MySQL/MariaDB schema, version 4: a checkpoint in parts. The live
-- agent saves its whole state now and then (agent.checkpoint, part 0) and in
-- between appends only what changed (the parts here, seq 1, 2, ...), so that a
-- large deferred queue is not rewritten with every batch.
CREATE TABLE agent_checkpoint_part (
  agent SMALLINT UNSIGNED NOT NULL,
  seq   INT UNSIGNED NOT NULL,
  data  LONGBLOB NOT NULL,
  PRIMARY KEY (agent, seq)
) ENGINE=InnoDB;
