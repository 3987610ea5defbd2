#include "agent/cli/store_args.h"

#include "agent/cli/verbs.h"

namespace mailtrail::cli {

StatusOr<std::unique_ptr<Store>> OpenStoreFromArgs(const Args& args, StoreOptions options) {
  options.password_file = args.Get("password-file").value_or("");
  if (auto agent = args.Get("agent")) options.agent_name = *agent;
  return OpenStore(args.Get("store").value_or(kDefaultStore), options);
}

}  // namespace mailtrail::cli
