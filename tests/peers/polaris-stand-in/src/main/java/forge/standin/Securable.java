package forge.standin;

import java.util.ArrayList;
import java.util.List;

/**
 * Keys for everything a grant can be on or held by, and the paths the authorizer walks. A key
 * is the kind and the names joined by NUL (no Polaris name can hold NUL: management names are
 * JSON strings the spec pattern accepts, and catalog-API names refuse control characters).
 * A path runs from the root container down to the securable, as Polaris resolves it, so that a
 * grant on any ancestor counts.
 */
final class Securable {
  static final String ROOT = "root";
  private static final String SEP = "\u0000";

  private Securable() {}

  static String catalog(String c) {
    return "catalog" + SEP + c;
  }

  static String namespace(String c, List<String> ns) {
    return "namespace" + SEP + c + SEP + String.join("\u001f", ns);
  }

  static String table(String c, List<String> ns, String t) {
    return "table" + SEP + c + SEP + String.join("\u001f", ns) + SEP + t;
  }

  static String view(String c, List<String> ns, String v) {
    return "view" + SEP + c + SEP + String.join("\u001f", ns) + SEP + v;
  }

  static String principal(String p) {
    return "principal" + SEP + p;
  }

  static String principalRole(String r) {
    return "principal-role" + SEP + r;
  }

  static String catalogRole(String c, String r) {
    return "catalog-role" + SEP + c + SEP + r;
  }

  /** The kind part of a key: {@code catalog}, {@code namespace}, {@code table}, ... */
  static String kind(String key) {
    int i = key.indexOf(SEP);
    return i < 0 ? key : key.substring(0, i);
  }

  /** The name parts after the kind. */
  static String[] parts(String key) {
    String[] all = key.split(SEP, -1);
    String[] rest = new String[all.length - 1];
    System.arraycopy(all, 1, rest, 0, rest.length);
    return rest;
  }

  /** Root, catalog, then each namespace prefix: the path to a namespace. */
  static List<String> namespacePath(String c, List<String> ns) {
    List<String> path = new ArrayList<>(List.of(ROOT, catalog(c)));
    for (int i = 1; i <= ns.size(); i++) {
      path.add(namespace(c, ns.subList(0, i)));
    }
    return path;
  }

  static List<String> tablePath(String c, List<String> ns, String t) {
    List<String> path = namespacePath(c, ns);
    path.add(table(c, ns, t));
    return path;
  }

  static List<String> viewPath(String c, List<String> ns, String v) {
    List<String> path = namespacePath(c, ns);
    path.add(view(c, ns, v));
    return path;
  }
}
