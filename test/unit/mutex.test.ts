import { describe, expect, it } from 'vitest';
import { Mutex } from '../../server/db/mutex.ts';

describe('Mutex (the embedded engine\'s connection lock)', () => {
  it('runs holders one at a time, in arrival order', async () => {
    const mutex = new Mutex();
    const events: string[] = [];
    const holder = (name: string, ms: number) =>
      mutex.run(async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        events.push(`${name} out`);
      });
    await Promise.all([holder('a', 20), holder('b', 1), holder('c', 5)]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  });

  it('releases the lock when the holder throws', async () => {
    const mutex = new Mutex();
    await expect(mutex.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(mutex.run(async () => 'next')).resolves.toBe('next');
  });
});
