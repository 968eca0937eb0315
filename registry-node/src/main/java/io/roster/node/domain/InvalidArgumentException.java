package io.roster.node.domain;

/** A request field breaks its rules. The message names the field and says what is allowed. */
public final class InvalidArgumentException extends RuntimeException {

  private final String field;

  public InvalidArgumentException(String field, String message) {
    super(field + ": " + message);
    this.field = field;
  }

  public String field() {
    return field;
  }
}
