package forge.standin;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.iceberg.catalog.TableIdentifier;

/**
 * Polaris 1.7's check of the locations a table asks for (an explicit location on create, the
 * metadata file of a registration, a {@code set-location} commit), written from its behaviour
 * with the default flags: every location must lie within one of the catalog's allowed
 * locations and, for an INTERNAL catalog ({@code ALLOW_UNSTRUCTURED_TABLE_LOCATION} off), also
 * within the table's namespace location. A location outside is 403 {@code ForbiddenException}
 * "Invalid locations '[...]' for identifier 'ns.t': LOC is not in the list of allowed
 * locations: [...]".
 */
final class LocationRules {
  private LocationRules() {}

  /**
   * Checks {@code locations} of table {@code id} in {@code catalog}, whose namespace is located
   * at {@code namespaceLocation} (null when unknown).
   */
  static void check(
      Entity catalog, String namespaceLocation, TableIdentifier id, Set<String> locations) {
    List<String> allowed = new ArrayList<>();
    catalog.storageConfigInfo.path("allowedLocations").forEach(l -> allowed.add(l.asText()));
    within(allowed, id, locations);
    if (namespaceLocation != null && !"EXTERNAL".equals(catalog.catalogType)) {
      within(List.of(namespaceLocation), id, locations);
    }
  }

  private static void within(List<String> parents, TableIdentifier id, Set<String> locations) {
    for (String loc : locations) {
      if (parents.stream().noneMatch(p -> StorageRules.isChildOf(loc, p))) {
        throw ApiException.forbidden(
            "Invalid locations '%s' for identifier '%s': %s is not in the list of allowed"
                + " locations: %s",
            new LinkedHashSet<>(locations), id, loc, parents);
      }
    }
  }
}
