package forge.standin;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Polaris's privilege hierarchy: whether a granted privilege satisfies a needed one (e.g.
 * {@code CATALOG_MANAGE_CONTENT} satisfies {@code TABLE_CREATE}, {@code TABLE_WRITE_DATA}
 * satisfies {@code TABLE_READ_DATA}, nothing but {@code PRINCIPAL_ROTATE_CREDENTIALS} itself
 * satisfies it). The table is the data file {@code privileges.txt} next to this class, restated
 * from Polaris 1.7.0's authorizer.
 */
final class Privileges {
  private static final Map<String, Set<String>> SATISFIED_BY = load();

  private Privileges() {}

  /** True when holding {@code granted} is enough for an operation needing {@code needed}. */
  static boolean satisfies(String needed, String granted) {
    if (needed.equals(granted)) {
      return true;
    }
    Set<String> by = SATISFIED_BY.get(needed);
    return by != null && by.contains(granted);
  }

  private static Map<String, Set<String>> load() {
    Map<String, Set<String>> map = new HashMap<>();
    try (InputStream in = Privileges.class.getResourceAsStream("privileges.txt")) {
      if (in == null) {
        throw new IllegalStateException("privileges.txt missing from the class path");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line; (line = r.readLine()) != null; ) {
        line = line.trim();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        int colon = line.indexOf(':');
        Set<String> granted = new HashSet<>(Set.of(line.substring(colon + 1).trim().split(" +")));
        map.put(line.substring(0, colon).trim(), granted);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read privileges.txt", e);
    }
    return map;
  }
}
