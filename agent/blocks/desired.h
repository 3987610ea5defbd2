// What the enforcement backends get from the blocks: the live ones, keys
// validated again (IpAddress/Cidr) and canonical, subjects as Postfix logged
// them, in a stable order (so an unchanged set compares equal).
#ifndef MAILTRAIL_AGENT_BLOCKS_DESIRED_H_
#define MAILTRAIL_AGENT_BLOCKS_DESIRED_H_

#include <vector>

#include "actions/action.h"
#include "agent/track/block.h"

namespace mailtrail {

DesiredBlocks DesiredOf(const std::vector<Block>& blocks, TimeUs wall_now);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_BLOCKS_DESIRED_H_
