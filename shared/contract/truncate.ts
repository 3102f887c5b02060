/** The marker a shortened text ends with, so a reader knows text is missing and how much. */
export function truncationMarker(dropped: number): string {
  return `… [truncated ${dropped.toLocaleString('en-US')} characters]`;
}

/**
 * The text cut to at most `max` characters, marker included, so what a worker said is kept as far
 * as it fits rather than refused (its verdict matters more than its prose).
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  // The marker's length depends on the count it shows, which depends on the room it leaves: settle it.
  let room = Math.max(0, max - truncationMarker(text.length).length);
  for (let widened = room + 1; widened + truncationMarker(text.length - widened).length <= max; widened += 1) room = widened;
  return `${text.slice(0, room)}${truncationMarker(text.length - room)}`;
}

/** At most `max` texts, each at most `maxLength`; dropped texts are counted in a last one. */
export function truncateTexts(texts: readonly string[], max: number, maxLength: number): string[] {
  const kept = texts.length <= max ? texts : texts.slice(0, Math.max(0, max - 1));
  const out = kept.map((text) => truncateText(text, maxLength));
  if (kept.length < texts.length) out.push(`… [${(texts.length - kept.length).toLocaleString('en-US')} more messages dropped]`);
  return out;
}
