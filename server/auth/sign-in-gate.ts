/**
 * At most `maxActive` password checks at once, `maxWaiting` more queued; beyond that a sign-in is answered 429 at
 * once. better-auth's own limit is per client address, and that address comes from X-Forwarded-For, which a
 * client may set itself; this gate bounds what password hashing (scrypt, tens of milliseconds of CPU each) can
 * take from the server however many addresses an attacker claims, so signed-in users' requests stay fast.
 */
export class SignInGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxActive: number,
    private readonly maxWaiting: number,
  ) {}

  /** Runs `work` when a slot is free; null without running it when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<T | null> {
    if (this.active >= this.maxActive) {
      if (this.waiting.length >= this.maxWaiting) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}
