/**
 * Linux /proc readers: CPU time and memory of a process and of its descendants (a gateway that
 * forks workers is measured whole). Everything returns undefined rather than throwing when a
 * process is gone or /proc is unavailable.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let clockTicks: number | undefined;
/** Kernel clock ticks per second (utime/stime unit), from getconf; 100 when it cannot be asked. */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface Stat {
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

/** `/proc/<pid>/stat`, or a thread's `/proc/<pid>/task/<tid>/stat` (`of` = "<pid>/task/<tid>"). */
function readStat(of: number | string): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${of}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** The process and every descendant still alive. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [root];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length && tree.length < 1000) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** User + system CPU milliseconds used so far by a process and its live descendants. */
export function cpuMs(root: number): number | undefined {
  let total = 0;
  let found = false;
  for (const pid of processTree(root)) {
    const stat = readStat(pid);
    if (!stat) continue;
    found = true;
    total += stat.ticks;
  }
  return found ? (total * 1000) / ticksPerSecond() : undefined;
}

/**
 * User + system CPU milliseconds used so far by a process's main thread alone: the one running JavaScript,
 * without its worker threads, V8's garbage-collection and compiler threads or libuv's pool.
 */
export function mainThreadCpuMs(pid: number): number | undefined {
  const stat = readStat(`${pid}/task/${pid}`);
  return stat && (stat.ticks * 1000) / ticksPerSecond();
}

function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function sumTree(root: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  let total: number | undefined;
  for (const pid of processTree(root)) {
    const value = statusField(pid, field);
    if (value !== undefined) total = (total ?? 0) + value;
  }
  return total;
}

/** Peak resident set size in bytes since start or since the last resetPeakRss (summed over the tree). */
export const peakRss = (root: number) => sumTree(root, 'VmHWM');
/** Current resident set size in bytes (summed over the tree). */
export const currentRss = (root: number) => sumTree(root, 'VmRSS');

/** Resets VmHWM to the current RSS (writing 5 to clear_refs), so the next peak is one run's own. */
export function resetPeakRss(root: number): boolean {
  let ok = true;
  for (const pid of processTree(root)) {
    try {
      fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      ok = false;
    }
  }
  return ok;
}

/** Milliseconds of CPU the whole machine has spent busy (all cores, /proc/stat), or undefined. */
export function systemBusyMs(): number | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user + nice + system + irq + softirq + (steal || 0)) * 1000) / ticksPerSecond();
  } catch {
    return undefined;
  }
}
