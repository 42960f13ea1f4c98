import { absolute, ago, useNow } from "../lib/format";

/** A time as the board says it: relative ("4 min ago"), the exact moment on hover. */
export function Time({ at }: { at: string }) {
  const now = useNow();
  return <time dateTime={at} title={absolute(at)}>{ago(at, now)}</time>;
}
