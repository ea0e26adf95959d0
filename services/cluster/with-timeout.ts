/** `work`'s answer, or a rejection (with `message`) when it takes longer than `ms`. */
export function withTimeout<T>(
  work: PromiseLike<T>,
  ms: number,
  message = `no answer in ${ms} ms`,
): Promise<T> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([Promise.resolve(work), timeout]).finally(() => clearTimeout(timer));
}
