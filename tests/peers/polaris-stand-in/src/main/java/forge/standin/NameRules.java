package forge.standin;

import java.util.List;

/**
 * Polaris 1.7's entity-name rule for names given through the Iceberg REST API (namespace
 * levels, table and view names, rename destinations), written from its documented behaviour: a
 * name must not be empty, {@code .} or {@code ..}, must not contain ISO control characters or
 * any of {@code / \ : * ? " < > | # + `}, and must not start or end with whitespace. Violations
 * are 400 {@code IllegalArgumentException}, raised before the catalog is even looked up.
 *
 * <p>Management-API names (catalogs, principals, roles) do not go through this rule in Polaris
 * 1.7; only the spec's {@code minLength}/{@code maxLength}/{@code pattern} apply to them, which
 * the spec checker enforces.
 */
final class NameRules {
  private static final String FORBIDDEN = "/\\:*?\"<>|#+`";

  private NameRules() {}

  static void check(String name) {
    if (name == null || name.isEmpty()) {
      throw ApiException.illegalArgument("Entity name must not be empty");
    }
    if (name.equals(".") || name.equals("..")) {
      throw ApiException.illegalArgument("Entity name must not be '.' or '..'");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isISOControl(c)) {
        throw ApiException.illegalArgument(
            "Entity name must not contain control characters (U+%04X): %s",
            (int) c, name.replaceAll("\\p{C}", "?"));
      }
      if (FORBIDDEN.indexOf(c) >= 0) {
        throw ApiException.illegalArgument("Entity name must not contain '%s': %s", c, name);
      }
      if ((i == 0 || i == name.length() - 1) && Character.isWhitespace(c)) {
        throw ApiException.illegalArgument(
            "Entity name must not have leading or trailing whitespace: %s", name);
      }
    }
  }

  static void checkAll(List<String> levels) {
    for (String level : levels) {
      check(level);
    }
  }
}
