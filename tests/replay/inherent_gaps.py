#!/usr/bin/env python3
"""How many checks of compare_records.py no log-based tracker can pass, by reason.

usage: inherent_gaps.py GROUNDTRUTH.jsonl[.gz]
Prints "<recipients> <fields>":
- recipients of attempts that have neither a queue id nor a Message-ID in the ground
  truth (sendmail submissions where Postfix added the Message-ID): the checker has no
  key to find their record by;
- the Message-ID and Subject fields of check_client_access DISCARD messages, which
  Postfix never logs (their queue id has a client= line and nothing else).
"""
import gzip
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from compare_records import expected_outcome  # noqa: E402

import json  # noqa: E402


def main():
    opener = gzip.open if sys.argv[1].endswith(".gz") else open
    rcpts = fields = 0
    for line in opener(sys.argv[1], "rt"):
        if not line.strip():
            continue
        gt = json.loads(line)
        wants = [expected_outcome(gt, r) for r in gt.get("rcpts") or []]
        accepted = [w for w in wants if w is not None and w != "rejected"]
        if not accepted:
            continue
        if not gt.get("queue_id") and not gt.get("message_id"):
            rcpts += len(accepted)
        elif gt.get("category") == "discard" and gt.get("queue_id"):
            if gt.get("message_id"):
                fields += 1
            subj = gt.get("subject")
            if subj and subj.isascii() and "=?" not in subj and len(subj) < 190 and "?" not in subj:
                fields += 1
    print(rcpts, fields)


if __name__ == "__main__":
    main()
