/** Formats a number so the C oracle (`oracle/pusht_oracle.c`) parses it back to the same double. */
export function oracleNumber(x: number): string {
  return x.toPrecision(17);
}

/**
 * The standard input of the C oracle's `bench` mode (`oracle/pusht_oracle.c`, built against
 * Debian's Chipmunk 7.0.3): the episode count, then per episode a line `steps x y bx by angle`
 * (its first recorded state) followed by one `ax ay` line per recorded action. The oracle replays
 * each episode open loop and reports `steps N seconds S` on standard error.
 */
export function oracleReplayInput(
  states: ArrayLike<number>,
  actions: ArrayLike<number>,
  episodeEnds: readonly number[],
): string {
  const lines: string[] = [String(episodeEnds.length)];
  let start = 0;
  for (const end of episodeEnds) {
    const s = [0, 1, 2, 3, 4].map((j) => oracleNumber(states[start * 5 + j]!));
    lines.push(`${end - start} ${s.join(' ')}`);
    for (let t = start; t < end; t++) {
      lines.push(`${oracleNumber(actions[2 * t]!)} ${oracleNumber(actions[2 * t + 1]!)}`);
    }
    start = end;
  }
  return `${lines.join('\n')}\n`;
}
