/** Allocation measurement shared by the benchmarks and the zero-allocation tests. */
import { GCProfiler, getHeapStatistics } from 'node:v8';

/**
 * Bytes allocated on the JS heap while `f` runs: the heap's growth plus what every GC in between freed
 * (v8's GCProfiler), so young-generation collections cannot hide allocations. The measurement itself costs
 * ~10 kB: divide by enough work.
 */
export function allocatedBytes(f: () => void): number {
  const profiler = new GCProfiler();
  profiler.start();
  const start = getHeapStatistics().used_heap_size;
  f();
  const end = getHeapStatistics().used_heap_size;
  let freed = 0;
  for (const gc of profiler.stop()?.statistics ?? []) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  return end - start + freed;
}
