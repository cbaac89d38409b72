package forge.standin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One management entity of a realm: a catalog, principal, principal role or catalog role, with
 * what Polaris shows of it ({@code name}, {@code properties}, create/update timestamps and the
 * {@code entityVersion} that updates must name) plus the few kind-specific fields. Secrets are
 * not here: the {@link Store} keeps them apart so no JSON view can leak one.
 */
final class Entity {
  enum Kind {
    CATALOG,
    PRINCIPAL,
    PRINCIPAL_ROLE,
    CATALOG_ROLE
  }

  final Kind kind;
  final long id;
  final String name;
  /** For a catalog role, the catalog it belongs to; else null. */
  final String catalog;

  Map<String, String> properties = new LinkedHashMap<>();
  final long createTimestamp;
  long lastUpdateTimestamp;
  int entityVersion = 1;

  /** Catalogs: INTERNAL or EXTERNAL. */
  String catalogType;
  /** Catalogs: the storage configuration as answered (allowedLocations filled in). */
  ObjectNode storageConfigInfo;
  /** Principals: the current client id. */
  String clientId;
  /** Principal roles. */
  boolean federated;

  Entity(Kind kind, long id, String name, String catalog) {
    this.kind = kind;
    this.id = id;
    this.name = name;
    this.catalog = catalog;
    this.createTimestamp = System.currentTimeMillis();
    this.lastUpdateTimestamp = createTimestamp;
  }

  /** Records a successful update: bumps {@code entityVersion}, as Polaris's metastore does. */
  void touched() {
    entityVersion++;
    lastUpdateTimestamp = System.currentTimeMillis();
  }

  /** The entity as the management API answers it (the spec's Catalog, Principal, ... schemas). */
  ObjectNode toJson() {
    ObjectNode o = Json.object();
    if (kind == Kind.CATALOG) {
      o.put("type", catalogType);
    }
    o.put("name", name);
    if (kind == Kind.PRINCIPAL) {
      o.put("clientId", clientId);
    }
    if (kind == Kind.PRINCIPAL_ROLE) {
      o.put("federated", federated);
    }
    ObjectNode props = o.putObject("properties");
    properties.forEach(props::put);
    o.put("createTimestamp", createTimestamp);
    o.put("lastUpdateTimestamp", lastUpdateTimestamp);
    o.put("entityVersion", entityVersion);
    if (kind == Kind.CATALOG) {
      o.set("storageConfigInfo", storageConfigInfo.deepCopy());
    }
    return o;
  }
}
