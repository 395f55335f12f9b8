/* A bench guest for large arguments: the host passes a bytes value (1 MiB in `npm run bench`) and
 * the guest reads every byte, so the figure includes copying it in and touching it. */
#include "microvm.h"

uint64_t SumBytes(mv_bytes b) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < b.len; i++) sum += b.data[i];
  return sum;
}
MV_GUEST_FUNCTION(SumBytes, u64, bytes);
