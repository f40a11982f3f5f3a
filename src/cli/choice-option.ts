/**
 * Command-line options that take one of a fixed set of words, matched without regard to case (`failed`, `FAILED`),
 * and refused with the words allowed otherwise: an unknown value is a mistake to say, not a filter that matches
 * nothing.
 * @module
 */
import { InvalidArgumentError } from 'commander';

/** A commander option parser: the canonical word for any casing of one of `words`, or InvalidArgumentError. */
export function choiceOption(
  words: readonly string[],
  aliases: Record<string, string> = {},
): (value: string) => string {
  const byKey = new Map<string, string>(words.map((word) => [word.toLowerCase(), word]));
  for (const [alias, word] of Object.entries(aliases)) byKey.set(alias.toLowerCase(), word);
  return (value: string): string => {
    const word = byKey.get(value.trim().toLowerCase());
    if (word === undefined) throw new InvalidArgumentError(`must be one of ${words.join(', ')}`);
    return word;
  };
}
