package io.roster.node.api.http;

/** A request the HTTP layer refuses before any service sees it; the message says what to fix. */
final class BadRequestException extends Exception {

  /** Longest piece of a caller's text (a name, a value) a message shows. */
  static final int MAX_EXCERPT_CHARS = 80;

  BadRequestException(String message) {
    super(message);
  }

  /**
   * {@code text} as a message shows it: whole up to {@value #MAX_EXCERPT_CHARS} characters, else
   * cut there with "...". A message goes back to the caller and into the log, so it must not grow
   * with what the caller sent: a 1 MiB field name was once answered in full.
   */
  static String excerpt(String text) {
    return cut(text, MAX_EXCERPT_CHARS);
  }

  /**
   * {@code text}, cut after {@code maxChars} characters (not inside a surrogate pair) with "...".
   */
  static String cut(String text, int maxChars) {
    if (text.length() <= maxChars) {
      return text;
    }
    int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
    return text.substring(0, end) + "...";
  }
}
