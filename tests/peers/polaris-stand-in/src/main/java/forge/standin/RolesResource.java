package forge.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * Principal roles, catalog roles and their assignments: create (201, 409 if the name exists),
 * list, get, update (version check), delete ({@code service_admin} and {@code catalog_admin}
 * cannot be dropped: 400), assign a principal role to a principal and a catalog role to a
 * principal role (201, repeatable), revoke them (204; 400 {@code GRANT_NOT_FOUND} when not
 * assigned), and the listings of who holds what. Each call first resolves its entities (404)
 * and then authorizes, in Polaris's order.
 */
final class RolesResource {
  // ---- principal roles ------------------------------------------------------------------

  void listPrincipalRoles(Exchange ex, Caller caller) {
    Authorizer.require(caller, "LIST_PRINCIPAL_ROLES", List.of(Securable.ROOT), "PRINCIPAL_ROLE_LIST");
    reply(ex, "roles", caller.store().principalRoles.values());
  }

  void createPrincipalRole(Exchange ex, Caller caller) {
    JsonNode r = Json.parse(ex.body).path("principalRole");
    String name = r.path("name").asText();
    Authorizer.require(
        caller, "CREATE_PRINCIPAL_ROLE", List.of(Securable.ROOT), "PRINCIPAL_ROLE_CREATE");
    Store s = caller.store();
    if (s.principalRoles.containsKey(name)) {
      throw ApiException.alreadyExists(
          "Cannot create PrincipalRole %s. PrincipalRole already exists or resolution failed",
          name);
    }
    Entity e = new Entity(Entity.Kind.PRINCIPAL_ROLE, s.newId(), name, null);
    e.properties = PrincipalsResource.properties(r.path("properties"));
    e.federated = r.path("federated").asBoolean(false);
    s.principalRoles.put(name, e);
    ex.reply(201, Json.bytes(Json.PLAIN, e.toJson()));
  }

  void getPrincipalRole(Exchange ex, Caller caller, String name) {
    Entity e = principalRole(caller.store(), name);
    Authorizer.require(caller, "GET_PRINCIPAL_ROLE", prolePath(name), "PRINCIPAL_ROLE_READ_PROPERTIES");
    ex.reply(200, Json.bytes(Json.PLAIN, e.toJson()));
  }

  void updatePrincipalRole(Exchange ex, Caller caller, String name) {
    JsonNode body = Json.parse(ex.body);
    Entity e = principalRole(caller.store(), name);
    Authorizer.require(
        caller, "UPDATE_PRINCIPAL_ROLE", prolePath(name), "PRINCIPAL_ROLE_WRITE_PROPERTIES");
    PrincipalsResource.checkVersion("PrincipalRole", e, body);
    e.properties = PrincipalsResource.properties(body.path("properties"));
    e.touched();
    ex.reply(200, Json.bytes(Json.PLAIN, e.toJson()));
  }

  void deletePrincipalRole(Exchange ex, Caller caller, String name) {
    Store s = caller.store();
    principalRole(s, name);
    Authorizer.require(caller, "DELETE_PRINCIPAL_ROLE", prolePath(name), "PRINCIPAL_ROLE_DROP");
    if (name.equals(Store.SERVICE_ADMIN)) {
      throw ApiException.badRequest("Polaris service admin principal role cannot be dropped");
    }
    s.principalRoles.remove(name);
    s.forget(Securable.principalRole(name));
    ex.replyEmpty(204);
  }

  void listPrincipalsOfRole(Exchange ex, Caller caller, String name) {
    Store s = caller.store();
    principalRole(s, name);
    Authorizer.require(
        caller,
        "LIST_ASSIGNEE_PRINCIPALS_FOR_PRINCIPAL_ROLE",
        prolePath(name),
        "PRINCIPAL_ROLE_LIST_GRANTS");
    ObjectNode out = Json.object();
    ArrayNode list = out.putArray("principals");
    String key = Securable.principalRole(name);
    for (Store.Grant g : s.grants) {
      if (g.securable().equals(key) && g.privilege().equals("PRINCIPAL_ROLE_USAGE")) {
        Entity p = s.principals.get(Securable.parts(g.grantee())[0]);
        if (p != null) {
          list.add(p.toJson());
        }
      }
    }
    ex.reply(200, Json.bytes(Json.PLAIN, out));
  }

  // ---- principal ↔ principal role ----------------------------------------------------------

  void listRolesOfPrincipal(Exchange ex, Caller caller, String principal) {
    Store s = caller.store();
    PrincipalsResource.find(s, principal);
    Authorizer.require(
        caller,
        "LIST_PRINCIPAL_ROLES_ASSIGNED",
        PrincipalsResource.path(principal),
        "PRINCIPAL_LIST_GRANTS");
    reply(ex, "roles", s.rolesAssignedTo(principal).stream().map(s.principalRoles::get).toList());
  }

  void assignPrincipalRole(Exchange ex, Caller caller, String principal) {
    String role = Json.parse(ex.body).path("principalRole").path("name").asText();
    Store s = caller.store();
    PrincipalsResource.find(s, principal);
    principalRole(s, role);
    Authorizer.require(
        caller,
        "ASSIGN_PRINCIPAL_ROLE",
        prolePath(role),
        "PRINCIPAL_ROLE_MANAGE_GRANTS_ON_SECURABLE");
    s.grants.add(
        new Store.Grant(
            Securable.principalRole(role), Securable.principal(principal), "PRINCIPAL_ROLE_USAGE"));
    ex.replyEmpty(201);
  }

  void revokePrincipalRole(Exchange ex, Caller caller, String principal, String role) {
    Store s = caller.store();
    PrincipalsResource.find(s, principal);
    principalRole(s, role);
    Authorizer.require(
        caller,
        "REVOKE_PRINCIPAL_ROLE",
        prolePath(role),
        List.of("PRINCIPAL_ROLE_MANAGE_GRANTS_ON_SECURABLE"),
        PrincipalsResource.path(principal),
        List.of("PRINCIPAL_MANAGE_GRANTS_FOR_GRANTEE"));
    removeGrant(
        s,
        new Store.Grant(
            Securable.principalRole(role), Securable.principal(principal), "PRINCIPAL_ROLE_USAGE"));
    ex.replyEmpty(204);
  }

  // ---- catalog roles ---------------------------------------------------------------------

  void listCatalogRoles(Exchange ex, Caller caller, String catalog) {
    Store s = caller.store();
    CatalogsResource.find(s, catalog);
    Authorizer.require(caller, "LIST_CATALOG_ROLES", CatalogsResource.path(catalog), "CATALOG_ROLE_LIST");
    reply(ex, "roles", s.rolesOf(catalog).values());
  }

  void createCatalogRole(Exchange ex, Caller caller, String catalog) {
    JsonNode r = Json.parse(ex.body).path("catalogRole");
    String name = r.path("name").asText();
    Store s = caller.store();
    CatalogsResource.find(s, catalog);
    Authorizer.require(
        caller, "CREATE_CATALOG_ROLE", CatalogsResource.path(catalog), "CATALOG_ROLE_CREATE");
    Map<String, Entity> roles = s.rolesOf(catalog);
    if (roles.containsKey(name)) {
      throw ApiException.alreadyExists(
          "Cannot create CatalogRole %s in %s. CatalogRole already exists or resolution failed",
          name, catalog);
    }
    Entity e = new Entity(Entity.Kind.CATALOG_ROLE, s.newId(), name, catalog);
    e.properties = PrincipalsResource.properties(r.path("properties"));
    roles.put(name, e);
    ex.reply(201, Json.bytes(Json.PLAIN, e.toJson()));
  }

  void getCatalogRole(Exchange ex, Caller caller, String catalog, String name) {
    Entity e = catalogRole(caller.store(), catalog, name);
    Authorizer.require(
        caller, "GET_CATALOG_ROLE", crolePath(catalog, name), "CATALOG_ROLE_READ_PROPERTIES");
    ex.reply(200, Json.bytes(Json.PLAIN, e.toJson()));
  }

  void updateCatalogRole(Exchange ex, Caller caller, String catalog, String name) {
    JsonNode body = Json.parse(ex.body);
    Entity e = catalogRole(caller.store(), catalog, name);
    Authorizer.require(
        caller, "UPDATE_CATALOG_ROLE", crolePath(catalog, name), "CATALOG_ROLE_WRITE_PROPERTIES");
    PrincipalsResource.checkVersion("CatalogRole", e, body);
    e.properties = PrincipalsResource.properties(body.path("properties"));
    e.touched();
    ex.reply(200, Json.bytes(Json.PLAIN, e.toJson()));
  }

  void deleteCatalogRole(Exchange ex, Caller caller, String catalog, String name) {
    Store s = caller.store();
    catalogRole(s, catalog, name);
    Authorizer.require(caller, "DELETE_CATALOG_ROLE", crolePath(catalog, name), "CATALOG_ROLE_DROP");
    if (name.equals(Store.CATALOG_ADMIN)) {
      throw ApiException.badRequest("Catalog admin role cannot be dropped");
    }
    s.rolesOf(catalog).remove(name);
    s.forget(Securable.catalogRole(catalog, name));
    ex.replyEmpty(204);
  }

  void listPrincipalRolesOfCatalogRole(Exchange ex, Caller caller, String catalog, String name) {
    Store s = caller.store();
    catalogRole(s, catalog, name);
    Authorizer.require(
        caller,
        "LIST_ASSIGNEE_PRINCIPAL_ROLES_FOR_CATALOG_ROLE",
        crolePath(catalog, name),
        "CATALOG_ROLE_LIST_GRANTS");
    String key = Securable.catalogRole(catalog, name);
    reply(
        ex,
        "roles",
        s.grants.stream()
            .filter(g -> g.securable().equals(key) && g.privilege().equals("CATALOG_ROLE_USAGE"))
            .map(g -> s.principalRoles.get(Securable.parts(g.grantee())[0]))
            .filter(e -> e != null)
            .toList());
  }

  // ---- principal role ↔ catalog role -------------------------------------------------------

  void listCatalogRolesOfPrincipalRole(Exchange ex, Caller caller, String role, String catalog) {
    Store s = caller.store();
    principalRole(s, role);
    CatalogsResource.find(s, catalog);
    Authorizer.require(
        caller,
        "LIST_CATALOG_ROLES_FOR_PRINCIPAL_ROLE",
        prolePath(role),
        "PRINCIPAL_ROLE_LIST_GRANTS");
    String grantee = Securable.principalRole(role);
    reply(
        ex,
        "roles",
        s.grants.stream()
            .filter(
                g ->
                    g.grantee().equals(grantee)
                        && g.privilege().equals("CATALOG_ROLE_USAGE")
                        && Securable.parts(g.securable())[0].equals(catalog))
            .map(g -> s.rolesOf(catalog).get(Securable.parts(g.securable())[1]))
            .filter(e -> e != null)
            .toList());
  }

  void assignCatalogRole(Exchange ex, Caller caller, String role, String catalog) {
    String name = Json.parse(ex.body).path("catalogRole").path("name").asText();
    Store s = caller.store();
    principalRole(s, role);
    catalogRole(s, catalog, name);
    Authorizer.require(
        caller,
        "ASSIGN_CATALOG_ROLE_TO_PRINCIPAL_ROLE",
        crolePath(catalog, name),
        "CATALOG_ROLE_MANAGE_GRANTS_ON_SECURABLE");
    s.grants.add(
        new Store.Grant(
            Securable.catalogRole(catalog, name), Securable.principalRole(role), "CATALOG_ROLE_USAGE"));
    ex.replyEmpty(201);
  }

  void revokeCatalogRole(Exchange ex, Caller caller, String role, String catalog, String name) {
    Store s = caller.store();
    principalRole(s, role);
    catalogRole(s, catalog, name);
    Authorizer.require(
        caller,
        "REVOKE_CATALOG_ROLE_FROM_PRINCIPAL_ROLE",
        crolePath(catalog, name),
        "CATALOG_ROLE_MANAGE_GRANTS_ON_SECURABLE");
    removeGrant(
        s,
        new Store.Grant(
            Securable.catalogRole(catalog, name), Securable.principalRole(role), "CATALOG_ROLE_USAGE"));
    ex.replyEmpty(204);
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** Removes a grant record, or answers Polaris's 400 {@code GRANT_NOT_FOUND}. */
  static void removeGrant(Store s, Store.Grant g) {
    if (!s.grants.remove(g)) {
      throw new ApiException(400, "GRANT_NOT_FOUND", "Operation failed: GRANT_NOT_FOUND");
    }
  }

  static Entity principalRole(Store s, String name) {
    Entity e = s.principalRoles.get(name);
    if (e == null) {
      throw ApiException.notFound("TopLevelEntity of type PRINCIPAL_ROLE does not exist: %s", name);
    }
    return e;
  }

  static Entity catalogRole(Store s, String catalog, String name) {
    CatalogsResource.find(s, catalog);
    Entity e = s.rolesOf(catalog).get(name);
    if (e == null) {
      throw ApiException.notFound("CatalogRole %s not found in catalog %s", name, catalog);
    }
    return e;
  }

  static List<String> prolePath(String role) {
    return List.of(Securable.ROOT, Securable.principalRole(role));
  }

  static List<String> crolePath(String catalog, String role) {
    return List.of(Securable.ROOT, Securable.catalog(catalog), Securable.catalogRole(catalog, role));
  }

  private static void reply(Exchange ex, String field, java.util.Collection<Entity> entities) {
    ObjectNode out = Json.object();
    ArrayNode list = out.putArray(field);
    entities.forEach(e -> list.add(e.toJson()));
    ex.reply(200, Json.bytes(Json.PLAIN, out));
  }
}
