package io.roster.cli;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Rows of text printed in aligned columns under a header, then notes, the {@code table} form of an
 * answer. Every column but the last is padded to its widest cell, so the last one may hold long
 * text.
 *
 * <p>Not thread-safe: built and printed by one command.
 */
final class Table {
  private final List<String[]> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final int columns;

  Table(String... header) {
    this.columns = header.length;
    rows.add(header);
  }

  /** Adds a row; {@code null} cells print as "-". */
  Table row(Object... cells) {
    if (cells.length != columns) {
      throw new IllegalArgumentException(cells.length + " cells for " + columns + " columns");
    }
    String[] row = new String[columns];
    for (int i = 0; i < columns; i++) {
      row[i] = cells[i] == null || cells[i].toString().isEmpty() ? "-" : cells[i].toString();
    }
    rows.add(row);
    return this;
  }

  /** Adds a line printed under the rows as it is, e.g. a total or a warning. */
  Table note(String line) {
    notes.add(line);
    return this;
  }

  /** The printed lines, header first, notes last. */
  List<String> lines() {
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    List<String> lines = new ArrayList<>(rows.size());
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(i == columns - 1 ? row[i] : pad(row[i], widths[i]) + "  ");
      }
      lines.add(line.toString());
    }
    lines.addAll(notes);
    return lines;
  }

  void print(PrintWriter out) {
    lines().forEach(out::println);
  }

  static String pad(String text, int width) {
    return text.length() >= width ? text : text + " ".repeat(width - text.length());
  }

  /**
   * The table of any answer without a table of its own: a FIELD and a VALUE column, one row per
   * field as canonical JSON names it ({@code leaseId}), nested messages flattened with dots and
   * indexes ({@code members[0].apiAddress}), well-known types as JSON writes them ({@code 3.333s}),
   * enums as the CLI spells them ({@code draining}).
   */
  static Table ofFields(MessageOrBuilder message) {
    Table table = new Table("FIELD", "VALUE");
    addFields(table, "", message);
    return table;
  }

  private static void addFields(Table table, String prefix, MessageOrBuilder message) {
    for (FieldDescriptor field : message.getDescriptorForType().getFields()) {
      String name = prefix + field.getJsonName();
      if (field.isMapField()) {
        List<String> entries = new ArrayList<>();
        for (Object entry : (List<?>) message.getField(field)) {
          Message pair = (Message) entry;
          FieldDescriptor key = pair.getDescriptorForType().findFieldByNumber(1);
          FieldDescriptor value = pair.getDescriptorForType().findFieldByNumber(2);
          entries.add(scalar(key, pair.getField(key)) + "=" + scalar(value, pair.getField(value)));
        }
        table.row(name, String.join(",", entries));
      } else if (field.isRepeated()) {
        int count = message.getRepeatedFieldCount(field);
        if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE || wellKnown(field)) {
          List<String> values = new ArrayList<>();
          for (int i = 0; i < count; i++) {
            values.add(scalar(field, message.getRepeatedField(field, i)));
          }
          table.row(name, String.join(",", values));
        } else {
          for (int i = 0; i < count; i++) {
            addFields(
                table,
                name + "[" + i + "].",
                (MessageOrBuilder) message.getRepeatedField(field, i));
          }
        }
      } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !wellKnown(field)) {
        if (message.hasField(field)) {
          addFields(table, name + ".", (MessageOrBuilder) message.getField(field));
        }
      } else if (!field.hasPresence() || message.hasField(field)) {
        table.row(name, scalar(field, message.getField(field)));
      }
    }
  }

  private static boolean wellKnown(FieldDescriptor field) {
    return field.getJavaType() == FieldDescriptor.JavaType.MESSAGE
        && field.getMessageType().getFullName().startsWith("google.protobuf.");
  }

  private static String scalar(FieldDescriptor field, Object value) {
    return switch (field.getJavaType()) {
      case ENUM -> label(((EnumValueDescriptor) value).getName());
      case MESSAGE -> json((MessageOrBuilder) value);
      default -> String.valueOf(value);
    };
  }

  private static String json(MessageOrBuilder wellKnown) {
    try {
      String json = JsonFormat.printer().print(wellKnown);
      return json.startsWith("\"") ? json.substring(1, json.length() - 1) : json;
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + wellKnown, e);
    }
  }

  /**
   * An enum value as the CLI spells it: without the enum's prefix, lower case, dashes ({@code
   * INSTANCE_STATUS_OUT_OF_SERVICE} is {@code out-of-service}). The prefix is everything up to the
   * second underscore of the names the API uses ({@code HEALTH_STATE_}, {@code CHANGE_TYPE_}).
   */
  static String label(String enumName) {
    int first = enumName.indexOf('_');
    int second = first < 0 ? -1 : enumName.indexOf('_', first + 1);
    String name = second < 0 ? enumName : enumName.substring(second + 1);
    return name.toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
