/**
 * The pipeline's one logger: each line carries the seconds since the stage
 * began. Library code (the engine) never logs; tasks and the sweep do.
 *
 * @module
 */

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** A child logger whose lines are prefixed and timed from now. */
  stage(name: string): Logger;
}

/** A logger writing to stderr, so stdout stays free for machine output. */
export function createLogger(prefix = "", start = performance.now()): Logger {
  const encoder = new TextEncoder();
  const write = (level: string, message: string) => {
    const seconds = ((performance.now() - start) / 1000).toFixed(1);
    const tag = prefix ? `[${prefix}] ` : "";
    Deno.stderr.writeSync(
      encoder.encode(`${level}${tag}(${seconds}s) ${message}\n`),
    );
  };
  return {
    info: (m) => write("", m),
    warn: (m) => write("warning: ", m),
    stage: (name) => createLogger(prefix ? `${prefix} ${name}` : name),
  };
}
