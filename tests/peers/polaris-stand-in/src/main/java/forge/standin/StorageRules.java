package forge.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Polaris 1.7's checks of a catalog's storage configuration, written from its behaviour with
 * the default feature flags: storage types S3, GCS and AZURE only ({@code FILE} is 400
 * "Unsupported storage type"); {@code default-base-location} required; allowed locations
 * default to the base location, must carry the type's prefix, and must contain the base
 * location; a catalog's locations must not overlap another catalog's; an update may not change
 * the storage type, the AWS account of {@code roleArn}, {@code externalId} or Azure's
 * {@code tenantId}.
 */
final class StorageRules {
  private StorageRules() {}

  /**
   * Validates {@code storage} for a catalog whose base location is {@code base} and returns the
   * configuration as Polaris answers it (with {@code allowedLocations} filled in).
   */
  static ObjectNode check(JsonNode storage, String base) {
    checkType(storage);
    String type = storage.path("storageType").asText();
    if (base == null || base.isEmpty()) {
      throw ApiException.badRequest("Must specify default base location");
    }
    List<String> allowed = new ArrayList<>();
    storage.path("allowedLocations").forEach(l -> allowed.add(l.asText()));
    boolean userGave = !allowed.isEmpty();
    if (!userGave) {
      allowed.add(base);
    }
    for (String loc : allowed) {
      checkPrefix(type, loc);
    }
    if (userGave && allowed.stream().noneMatch(a -> isChildOf(base, a))) {
      throw ApiException.badRequest(
          "default-base-location '%s' is not within any of the allowed locations %s",
          base, allowed);
    }
    ObjectNode out = storage.deepCopy();
    ArrayNode list = out.putArray("allowedLocations");
    allowed.forEach(list::add);
    if (type.equals("S3") && !out.has("pathStyleAccess")) {
      out.put("pathStyleAccess", false);
    }
    return out;
  }

  /** 400 for a storage type outside SUPPORTED_CATALOG_STORAGE_TYPES' default (S3, GCS, AZURE). */
  static void checkType(JsonNode storage) {
    String type = storage.path("storageType").asText();
    if (!List.of("S3", "GCS", "AZURE").contains(type)) {
      throw ApiException.illegalArgument("Unsupported storage type: %s", type);
    }
  }

  /** The update rules for a replaced storage configuration. */
  static void checkUpdate(ObjectNode current, ObjectNode next) {
    String a = current.path("storageType").asText();
    String b = next.path("storageType").asText();
    if (!a.equals(b)) {
      throw ApiException.badRequest(
          "Cannot modify storage type of storage config from %s to %s", current, next);
    }
    if (a.equals("S3")) {
      if (!account(current.path("roleArn").asText(null))
          .equals(account(next.path("roleArn").asText(null)))) {
        throw ApiException.badRequest(
            "Cannot modify AWS account ID in storage config from %s to %s", current, next);
      }
      if (!String.valueOf(current.path("externalId").asText(null))
          .equals(String.valueOf(next.path("externalId").asText(null)))) {
        throw ApiException.badRequest(
            "Cannot modify ExternalId in storage config from %s to %s", current, next);
      }
    }
    if (a.equals("AZURE")
        && !current.path("tenantId").asText("").equals(next.path("tenantId").asText(""))) {
      throw ApiException.badRequest(
          "Cannot modify TenantId in storage config from %s to %s", current, next);
    }
  }

  /** Throws 400 when any location of the new catalog overlaps one of another catalog's. */
  static void checkNoOverlap(String name, List<String> locations, Map<String, Entity> catalogs) {
    for (Entity other : catalogs.values()) {
      if (other.name.equals(name)) {
        continue;
      }
      for (String theirs : locations(other)) {
        for (String ours : locations) {
          if (isChildOf(ours, theirs) || isChildOf(theirs, ours)) {
            throw ApiException.validation(
                "Cannot create Catalog %s. One or more of its locations overlaps with an existing"
                    + " catalog",
                name);
          }
        }
      }
    }
  }

  /** A catalog's base location and allowed locations. */
  static List<String> locations(Entity catalog) {
    List<String> out = new ArrayList<>();
    String base = catalog.properties.get("default-base-location");
    if (base != null) {
      out.add(base);
    }
    catalog.storageConfigInfo.path("allowedLocations").forEach(l -> out.add(l.asText()));
    return out;
  }

  /** True when {@code loc} is {@code parent} or lies below it (path-segment aware). */
  static boolean isChildOf(String loc, String parent) {
    String l = withSlash(loc);
    String p = withSlash(parent);
    return l.startsWith(p);
  }

  private static String withSlash(String s) {
    String n = s.replaceFirst("^s3a://", "s3://");
    return n.endsWith("/") ? n : n + "/";
  }

  private static void checkPrefix(String type, String loc) {
    List<String> prefixes =
        switch (type) {
          case "S3" -> List.of("s3://", "s3a://");
          case "GCS" -> List.of("gs://");
          default -> List.of("abfs://", "wasb://", "abfss://", "wasbs://");
        };
    String lower = loc.toLowerCase(Locale.ROOT);
    if (prefixes.stream().noneMatch(lower::startsWith)) {
      throw ApiException.illegalArgument(
          "Location prefix not allowed: '%s', expected prefixes: '%s'",
          loc, String.join(",", prefixes));
    }
  }

  private static String account(String roleArn) {
    if (roleArn == null) {
      return "";
    }
    String[] parts = roleArn.split(":");
    return parts.length > 4 ? parts[4] : "";
  }
}
