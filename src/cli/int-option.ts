/**
 * The one parser of whole-number command-line options, for commander (`nse-flow`, chaos, the bench, fuzz): a value
 * that is not a safe integer in range is refused with commander's InvalidArgumentError, so every command line says
 * the same thing about the same mistake.
 * @module
 */
import { InvalidArgumentError } from 'commander';

/** A commander option parser for whole numbers from `min` to `max` (inclusive). */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  const expected =
    max === Number.MAX_SAFE_INTEGER
      ? min === 1
        ? 'must be a positive whole number'
        : `must be a whole number of at least ${min}`
      : `must be a whole number from ${min} to ${max}`;
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(expected);
    return n;
  };
}

/** Whole numbers of at least 1: counts, limits, ports, intervals. */
export const positiveInt = intOption(1);
