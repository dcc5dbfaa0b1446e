#!/usr/bin/env python3
"""Summary of a flight recording made by `bench/run.sh --profile`.

    python3 bench/jfr-summary.py [--jfr-tool PATH/bin/jfr] [--top N] [--match REGEX] RECORDING.jfr

Reads the Java execution samples (`jfr print --events jdk.ExecutionSample`) and prints, as shares
of all samples: the thread groups (trailing numbers of thread names dropped), the frames most
often on top of the stack (self), and the frames matching --match most often anywhere on the
stack (inclusive; default: this project's code, io.ipnslink). Then the total pause time of the
garbage collections recorded. Shares of samples are not CPU shares: they say where the Java
threads of the process were when sampled, which is what points at a bottleneck.
"""
import argparse
import collections
import re
import subprocess
import sys

FRAME = re.compile(r'^\s+([\w.$<>]+)\(.*?line:', re.M)
THREAD = re.compile(r'sampledThread = "([^"]*)"')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('recording')
    ap.add_argument('--jfr-tool', default='jfr')
    ap.add_argument('--top', type=int, default=25)
    ap.add_argument('--match', default=r'^io\.ipnslink\.')
    a = ap.parse_args()
    try:
        text = subprocess.run([a.jfr_tool, 'print', '--events', 'jdk.ExecutionSample', '--stack-depth', '64',
                               a.recording], check=True, capture_output=True, text=True, timeout=600).stdout
    except (OSError, subprocess.SubprocessError) as e:
        sys.exit(f'jfr-summary: cannot read {a.recording}: {e}')
    threads = collections.Counter()
    self_time = collections.Counter()
    inclusive = collections.Counter()
    n = 0
    match = re.compile(a.match)
    for event in text.split('jdk.ExecutionSample')[1:]:
        frames = FRAME.findall(event)
        if not frames:
            continue
        n += 1
        t = THREAD.search(event)
        threads[re.sub(r'[-#]?\d+$', '', t.group(1)) if t else '?'] += 1
        self_time[frames[0]] += 1
        for f in set(frames):
            if match.search(f):
                inclusive[f] += 1
    if n == 0:
        sys.exit('jfr-summary: no execution samples in the recording')
    print(f'{n} Java execution samples')
    print('-- threads (share of samples)')
    for name, c in threads.most_common(8):
        print(f'{100 * c / n:6.1f} %  {name}')
    print(f'-- top {a.top} frames on top of the stack (self)')
    for name, c in self_time.most_common(a.top):
        print(f'{100 * c / n:6.1f} %  {name}')
    print(f'-- top {a.top} frames matching {a.match} anywhere on the stack (inclusive)')
    for name, c in inclusive.most_common(a.top):
        print(f'{100 * c / n:6.1f} %  {name}')
    try:
        gc = subprocess.run([a.jfr_tool, 'print', '--events', 'jdk.GarbageCollection', a.recording],
                            check=True, capture_output=True, text=True, timeout=600).stdout
        pauses = [float(v) for v in re.findall(r'sumOfPauses = ([\d.]+) ms', gc)]
        print(f'-- garbage collections: {len(pauses)}, pauses {sum(pauses):.1f} ms in total')
    except (OSError, subprocess.SubprocessError):
        pass


if __name__ == '__main__':
    main()
