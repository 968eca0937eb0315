package io.roster.cli;

/** How a command prints its answers: {@code --output} (or its older name {@code --format}). */
enum OutputFormat {
  /**
   * One line of JSON per answer or change: protobuf canonical JSON where the answer is a message.
   */
  json,
  /** Aligned columns with a header, for people. */
  table
}
