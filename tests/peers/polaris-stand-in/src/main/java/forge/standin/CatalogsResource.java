package forge.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * {@code /catalogs} and {@code /catalogs/{name}}: create (201; 409 if the name exists; storage
 * rules of {@link StorageRules}; a {@code catalog_admin} catalog role with
 * {@code CATALOG_MANAGE_ACCESS} and {@code CATALOG_MANAGE_METADATA} on the new catalog, usable by
 * {@code service_admin}), list, get, update ({@code currentEntityVersion} must match, else 409;
 * {@code properties} replace the map, an absent or empty {@code default-base-location} keeps the
 * old one; a storage config replaces the old one under the update rules) and delete (400 while
 * the catalog has namespaces or catalog roles other than {@code catalog_admin}).
 */
final class CatalogsResource {
  private final IcebergCatalogs iceberg;

  CatalogsResource(IcebergCatalogs iceberg) {
    this.iceberg = iceberg;
  }

  void list(Exchange ex, Caller caller) {
    Authorizer.require(caller, "LIST_CATALOGS", List.of(Securable.ROOT), "CATALOG_LIST");
    ObjectNode out = Json.object();
    ArrayNode list = out.putArray("catalogs");
    caller.store().catalogs.values().forEach(c -> list.add(c.toJson()));
    ex.reply(200, Json.bytes(Json.PLAIN, out));
  }

  void create(Exchange ex, Caller caller) {
    JsonNode body = Json.parse(ex.body).path("catalog");
    String name = body.path("name").asText();
    StorageRules.checkType(body.path("storageConfigInfo"));
    Authorizer.require(caller, "CREATE_CATALOG", List.of(Securable.ROOT), "CATALOG_CREATE");
    Store s = caller.store();
    Map<String, String> props = PrincipalsResource.properties(body.path("properties"));
    String base = props.get("default-base-location");
    ObjectNode storage = StorageRules.check(body.path("storageConfigInfo"), base);
    Entity c = new Entity(Entity.Kind.CATALOG, s.newId(), name, null);
    c.catalogType = body.path("type").asText("INTERNAL");
    c.properties = props;
    c.storageConfigInfo = storage;
    StorageRules.checkNoOverlap(name, StorageRules.locations(c), s.catalogs);
    if (s.catalogs.containsKey(name)) {
      throw ApiException.alreadyExists(
          "Cannot create Catalog %s. Catalog already exists or resolution failed", name);
    }
    s.catalogs.put(name, c);
    Entity admin = new Entity(Entity.Kind.CATALOG_ROLE, s.newId(), Store.CATALOG_ADMIN, name);
    s.rolesOf(name).put(Store.CATALOG_ADMIN, admin);
    String adminKey = Securable.catalogRole(name, Store.CATALOG_ADMIN);
    s.grants.add(new Store.Grant(Securable.catalog(name), adminKey, "CATALOG_MANAGE_ACCESS"));
    s.grants.add(new Store.Grant(Securable.catalog(name), adminKey, "CATALOG_MANAGE_METADATA"));
    s.grants.add(
        new Store.Grant(adminKey, Securable.principalRole(Store.SERVICE_ADMIN), "CATALOG_ROLE_USAGE"));
    ex.reply(201, Json.bytes(Json.PLAIN, c.toJson()));
  }

  void get(Exchange ex, Caller caller, String name) {
    Entity c = find(caller.store(), name);
    Authorizer.require(caller, "GET_CATALOG", path(name), "CATALOG_READ_PROPERTIES");
    ex.reply(200, Json.bytes(Json.PLAIN, c.toJson()));
  }

  void update(Exchange ex, Caller caller, String name) {
    JsonNode body = Json.parse(ex.body);
    if (body.has("storageConfigInfo") && !body.get("storageConfigInfo").isNull()) {
      StorageRules.checkType(body.get("storageConfigInfo"));
    }
    Entity c = find(caller.store(), name);
    Authorizer.require(caller, "UPDATE_CATALOG", path(name), "CATALOG_WRITE_PROPERTIES");
    int expected = body.path("currentEntityVersion").asInt();
    if (c.entityVersion != expected) {
      throw ApiException.commitConflict(
          "Failed to update Catalog; currentEntityVersion '%s', expected '%s'",
          c.entityVersion, expected);
    }
    String base = c.properties.get("default-base-location");
    Map<String, String> props = c.properties;
    if (body.has("properties") && !body.get("properties").isNull()) {
      props = PrincipalsResource.properties(body.get("properties"));
      String requested = props.get("default-base-location");
      if (requested != null && !requested.isEmpty()) {
        base = requested;
      }
      props.put("default-base-location", base);
    }
    ObjectNode storage = c.storageConfigInfo;
    if (body.has("storageConfigInfo") && !body.get("storageConfigInfo").isNull()) {
      storage = StorageRules.check(body.get("storageConfigInfo"), base);
      StorageRules.checkUpdate(c.storageConfigInfo, storage);
    }
    Entity probe = new Entity(Entity.Kind.CATALOG, -1, name, null);
    probe.properties = props;
    probe.storageConfigInfo = storage;
    StorageRules.checkNoOverlap(name, StorageRules.locations(probe), caller.store().catalogs);
    c.properties = props;
    c.storageConfigInfo = storage;
    c.touched();
    ex.reply(200, Json.bytes(Json.PLAIN, c.toJson()));
  }

  void delete(Exchange ex, Caller caller, String name) {
    Store s = caller.store();
    Entity c = find(s, name);
    Authorizer.require(caller, "DELETE_CATALOG", path(name), "CATALOG_DROP");
    if (iceberg.hasNamespaces(s, c) || s.rolesOf(name).size() > 1) {
      throw ApiException.badRequest("Catalog '%s' cannot be dropped, it is not empty", name);
    }
    iceberg.drop(s, c);
    s.catalogs.remove(name);
    s.catalogRoles.remove(name);
    s.forgetUnder(Securable.catalog(name));
    ex.replyEmpty(204);
  }

  static Entity find(Store s, String name) {
    Entity c = s.catalogs.get(name);
    if (c == null) {
      throw ApiException.notFound("TopLevelEntity of type CATALOG does not exist: %s", name);
    }
    return c;
  }

  static List<String> path(String catalog) {
    return List.of(Securable.ROOT, Securable.catalog(catalog));
  }
}
