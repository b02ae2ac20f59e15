import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Helpers of `npm run bench`: statistics, /proc readings, a bounded pool. Nothing here knows about cases. */

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles (no interpolation: p99 of 100 samples is the 99th smallest). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { count: 0, mean: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    count: sorted.length,
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
    p50: round(rank(50)),
    p95: round(rank(95)),
    p99: round(rank(99)),
    max: round(sorted.at(-1)!),
  };
}

export const now = () => performance.now();

export const round2 = (value: number) => Math.round(value * 100) / 100;

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; failures are counted, not thrown. */
export async function pool(
  count: number,
  concurrency: number,
  task: (index: number, slot: number) => Promise<void>,
  onError: (error: unknown, index: number) => void,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async (_, slot) => {
    while (next < count) {
      const index = next++;
      try {
        await task(index, slot);
      } catch (error) {
        onError(error, index);
      }
    }
  });
  await Promise.all(lanes);
}

export async function withTimeout<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resident set size of a process in MiB, from /proc/<pid>/status (VmRSS, and VmHWM: the peak since it started). */
export function processMemory(pid: number): { rssMiB: number; peakRssMiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) / 1024;
    return { rssMiB: Math.round(field('VmRSS')), peakRssMiB: Math.round(field('VmHWM')) };
  } catch {
    return undefined;
  }
}

const clockTicks = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: fields are counted from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return NaN;
  }
}

/** Busy and total CPU seconds of the whole machine, from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, ...values] = line.trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
  return { busy: busy / clockTicks, total: (busy + idle! + iowait!) / clockTicks };
}

/**
 * CPU accounting over one phase: each named process's CPU seconds, and how busy the machine was as a whole, so
 * that a report can say how much of the machine other people's work took while it ran.
 */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const startMachine = machineCpuSeconds();
  const startSelf = process.cpuUsage();
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid ? processCpuSeconds(pid) : NaN]));
  return () => {
    const endMachine = machineCpuSeconds();
    const self = process.cpuUsage(startSelf);
    const perProcess: Record<string, number> = { bench: (self.user + self.system) / 1e6 };
    for (const [name, pid] of Object.entries(pids)) perProcess[name] = pid ? processCpuSeconds(pid) - start[name]! : NaN;
    const busy = endMachine.busy - startMachine.busy;
    const total = endMachine.total - startMachine.total;
    const ours = Object.values(perProcess)
      .filter(Number.isFinite)
      .reduce((sum, value) => sum + value, 0);
    return {
      cpuSeconds: Object.fromEntries(Object.entries(perProcess).map(([name, value]) => [name, round2(value)])),
      machineBusyPercent: Math.round((100 * busy) / Math.max(total, 1e-9)),
      /** Busy CPU that none of the benchmark's processes used: other people's work on a shared machine. */
      otherProcessesPercent: Math.max(0, Math.round((100 * (busy - ours)) / Math.max(total, 1e-9))),
    };
  };
}

/** Samples a process's RSS every `everyMs` until stopped; returns the largest sample. */
export function rssSampler(pid: number, everyMs = 250) {
  let max = processMemory(pid)?.rssMiB ?? 0;
  const timer = setInterval(() => {
    const rss = processMemory(pid)?.rssMiB;
    if (rss !== undefined && rss > max) max = rss;
  }, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    const rss = processMemory(pid)?.rssMiB;
    return Math.max(max, rss ?? 0);
  };
}

/** Sums the bytes of every Uint8Array in a decoded history event: its payloads, roughly what it weighs in the store. */
export function payloadBytes(value: unknown, seen = new Set<object>()): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (value === null || typeof value !== 'object' || seen.has(value)) return 0;
  seen.add(value);
  let total = 0;
  for (const child of Object.values(value)) total += payloadBytes(child, seen);
  return total;
}

/** Histogram sums and counts from a Prometheus text page, by metric name (labels summed over). */
export function prometheusHistograms(text: string, names: readonly string[]): Record<string, { count: number; sum: number }> {
  const result: Record<string, { count: number; sum: number }> = {};
  for (const name of names) {
    let sum = 0;
    let count = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name}_sum`)) sum += Number(line.split(' ').at(-1));
      else if (line.startsWith(`${name}_count`)) count += Number(line.split(' ').at(-1));
    }
    if (count > 0) result[name] = { count, sum };
  }
  return result;
}

export function prometheusGauge(text: string, name: string): number | undefined {
  const values = text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => Number(line.split(' ').at(-1)));
  return values.length ? values.reduce((sum, value) => sum + value, 0) : undefined;
}
