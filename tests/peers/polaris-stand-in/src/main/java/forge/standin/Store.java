package forge.standin;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one realm holds, in memory (Polaris's {@code in-memory} persistence; nothing
 * survives the process): the management entities, the principals' secrets by client id, and the
 * grant records. Role assignments are grant records too, as in Polaris: a principal role is
 * "assigned" to a principal by a {@code PRINCIPAL_ROLE_USAGE} record, a catalog role to a
 * principal role by {@code CATALOG_ROLE_USAGE}.
 *
 * <p>Callers lock the store object itself around a whole operation.
 */
final class Store {
  /** One grant record: {@code grantee} holds {@code privilege} on {@code securable} (both keys). */
  record Grant(String securable, String grantee, String privilege) {}

  static final String ROOT_PRINCIPAL = "root";
  static final String SERVICE_ADMIN = "service_admin";
  static final String CATALOG_ADMIN = "catalog_admin";

  private static final SecureRandom RANDOM = new SecureRandom();

  final String realm;
  final Map<String, Entity> catalogs = new LinkedHashMap<>();
  final Map<String, Entity> principals = new LinkedHashMap<>();
  final Map<String, Entity> principalRoles = new LinkedHashMap<>();
  /** Catalog name → catalog role name → role. */
  final Map<String, Map<String, Entity>> catalogRoles = new HashMap<>();
  /** Client id → secret. */
  final Map<String, String> secrets = new HashMap<>();
  final Set<Grant> grants = new LinkedHashSet<>();
  private long nextId = 1;

  /**
   * A realm bootstrapped like Polaris does it: principal {@code root} with the given
   * credentials, principal role {@code service_admin} assigned to it, and
   * {@code SERVICE_MANAGE_ACCESS} on the root container granted to {@code service_admin}.
   */
  Store(String realm, String rootClientId, String rootSecret) {
    this.realm = realm;
    Entity root = new Entity(Entity.Kind.PRINCIPAL, newId(), ROOT_PRINCIPAL, null);
    root.clientId = rootClientId;
    principals.put(ROOT_PRINCIPAL, root);
    secrets.put(rootClientId, rootSecret);
    Entity admin = new Entity(Entity.Kind.PRINCIPAL_ROLE, newId(), SERVICE_ADMIN, null);
    principalRoles.put(SERVICE_ADMIN, admin);
    grants.add(
        new Grant(
            Securable.principalRole(SERVICE_ADMIN),
            Securable.principal(ROOT_PRINCIPAL),
            "PRINCIPAL_ROLE_USAGE"));
    grants.add(
        new Grant(Securable.ROOT, Securable.principalRole(SERVICE_ADMIN), "SERVICE_MANAGE_ACCESS"));
  }

  long newId() {
    return nextId++;
  }

  /**
   * 16 hex characters, like Polaris's generated client ids. One that reads as a number
   * ({@code 0123456789012345}, {@code 12e4...}) is drawn again: the request validator reads
   * form fields by their look, so it would flag a token request carrying such an id as a
   * number where the spec wants a string (about 1 id in 700; it made whole runs fail).
   */
  static String newClientId() {
    while (true) {
      byte[] b = new byte[8];
      RANDOM.nextBytes(b);
      String id = HexFormat.of().formatHex(b);
      if (!id.matches("[0-9]*(e[0-9]*)?")) {
        return id;
      }
    }
  }

  /** 32 hex characters, like Polaris's generated secrets. */
  static String newSecret() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  Entity principalByClientId(String clientId) {
    for (Entity p : principals.values()) {
      if (clientId.equals(p.clientId)) {
        return p;
      }
    }
    return null;
  }

  Map<String, Entity> rolesOf(String catalog) {
    return catalogRoles.computeIfAbsent(catalog, c -> new LinkedHashMap<>());
  }

  /** The principal roles a principal holds (its PRINCIPAL_ROLE_USAGE records). */
  List<String> rolesAssignedTo(String principal) {
    List<String> out = new ArrayList<>();
    String grantee = Securable.principal(principal);
    for (Grant g : grants) {
      if (g.grantee.equals(grantee) && g.privilege.equals("PRINCIPAL_ROLE_USAGE")) {
        out.add(Securable.parts(g.securable)[0]);
      }
    }
    return out;
  }

  /** Removes every grant on or held by {@code key} (an entity being dropped). */
  void forget(String key) {
    grants.removeIf(g -> g.securable.equals(key) || g.grantee.equals(key));
  }

  /** Removes every grant on {@code key} or on anything under it (a dropped catalog or namespace). */
  void forgetUnder(String key) {
    grants.removeIf(g -> under(g.securable, key) || under(g.grantee, key));
  }

  /** Moves grants on {@code from} to {@code to} (a renamed table or view keeps its grants). */
  void moveGrants(String from, String to) {
    List<Grant> moved = new ArrayList<>();
    grants.removeIf(
        g -> {
          if (g.securable.equals(from)) {
            moved.add(new Grant(to, g.grantee, g.privilege));
            return true;
          }
          return false;
        });
    grants.addAll(moved);
  }

  /** True when securable {@code key} lies in catalog / namespace {@code container}. */
  private static boolean under(String key, String container) {
    if (key.equals(container)) {
      return true;
    }
    String kind = Securable.kind(container);
    String[] c = Securable.parts(container);
    String[] k = Securable.parts(key);
    if (kind.equals("catalog")) {
      String keyKind = Securable.kind(key);
      return (keyKind.equals("namespace")
              || keyKind.equals("table")
              || keyKind.equals("view")
              || keyKind.equals("catalog-role"))
          && k[0].equals(c[0]);
    }
    if (kind.equals("namespace") && k.length >= 2 && k[0].equals(c[0])) {
      return k[1].equals(c[1]) || k[1].startsWith(c[1] + "\u001f");
    }
    return false;
  }
}
