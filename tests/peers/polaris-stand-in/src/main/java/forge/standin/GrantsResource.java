package forge.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /catalogs/{c}/catalog-roles/{r}/grants}: list ({@code {"grants":[GrantResource]}}),
 * add ({@code PUT}, 201, repeatable) and revoke ({@code POST}, 201 as Polaris answers it; 400
 * {@code GRANT_NOT_FOUND} when absent; {@code cascade=true} is 501) of privileges on the catalog,
 * a namespace, a table or a view. The namespace, table or view must exist (404). Adding needs
 * {@code <TYPE>_MANAGE_GRANTS_ON_SECURABLE} on the securable; revoking also needs
 * {@code CATALOG_ROLE_MANAGE_GRANTS_FOR_GRANTEE} on the role. Policy grants are answered 501:
 * this stand-in has no policies.
 */
final class GrantsResource {
  private final IcebergCatalogs iceberg;

  GrantsResource(IcebergCatalogs iceberg) {
    this.iceberg = iceberg;
  }

  void list(Exchange ex, Caller caller, String catalog, String role) {
    Store s = caller.store();
    RolesResource.catalogRole(s, catalog, role);
    Authorizer.require(
        caller,
        "LIST_GRANTS_FOR_CATALOG_ROLE",
        RolesResource.crolePath(catalog, role),
        "CATALOG_ROLE_LIST_GRANTS");
    String grantee = Securable.catalogRole(catalog, role);
    ObjectNode out = Json.object();
    ArrayNode list = out.putArray("grants");
    for (Store.Grant g : s.grants) {
      if (g.grantee().equals(grantee)) {
        list.add(toJson(g));
      }
    }
    ex.reply(200, Json.bytes(Json.PLAIN, out));
  }

  void add(Exchange ex, Caller caller, String catalog, String role) {
    change(ex, caller, catalog, role, true);
    ex.replyEmpty(201);
  }

  void revoke(Exchange ex, Caller caller, String catalog, String role) {
    if ("true".equalsIgnoreCase(ex.query("cascade"))) {
      throw new ApiException(501, "NotImplementedException", "cascade is not supported");
    }
    change(ex, caller, catalog, role, false);
    ex.replyEmpty(201);
  }

  private void change(Exchange ex, Caller caller, String catalog, String role, boolean add) {
    JsonNode grant = Json.parse(ex.body).path("grant");
    Store s = caller.store();
    Entity c = CatalogsResource.find(s, catalog);
    RolesResource.catalogRole(s, catalog, role);
    String type = grant.path("type").asText();
    String privilege = grant.path("privilege").asText();
    List<String> ns = new ArrayList<>();
    grant.path("namespace").forEach(l -> ns.add(l.asText()));
    String securable;
    List<String> path;
    String op;
    switch (type) {
      case "catalog" -> {
        securable = Securable.catalog(catalog);
        path = CatalogsResource.path(catalog);
        op = "CATALOG";
      }
      case "namespace" -> {
        if (!iceberg.namespaceExists(s, c, ns)) {
          throw ApiException.notFound("Namespace %s not found", String.join(".", ns));
        }
        securable = Securable.namespace(catalog, ns);
        path = Securable.namespacePath(catalog, ns);
        op = "NAMESPACE";
      }
      case "table" -> {
        String t = grant.path("tableName").asText();
        if (!iceberg.tableExists(s, c, ns, t)) {
          throw ApiException.notFound("Table %s not found", String.join(".", ns) + "." + t);
        }
        securable = Securable.table(catalog, ns, t);
        path = Securable.tablePath(catalog, ns, t);
        op = "TABLE";
      }
      case "view" -> {
        String v = grant.path("viewName").asText();
        if (!iceberg.viewExists(s, c, ns, v)) {
          throw ApiException.notFound("View %s not found", String.join(".", ns) + "." + v);
        }
        securable = Securable.view(catalog, ns, v);
        path = Securable.viewPath(catalog, ns, v);
        op = "VIEW";
      }
      default ->
          throw new ApiException(
              501, "NotImplementedException", "Grants of type " + type + " are not supported here");
    }
    if (add) {
      Authorizer.require(
          caller, "ADD_" + op + "_GRANT_TO_CATALOG_ROLE", path, op + "_MANAGE_GRANTS_ON_SECURABLE");
      s.grants.add(new Store.Grant(securable, Securable.catalogRole(catalog, role), privilege));
    } else {
      Authorizer.require(
          caller,
          "REVOKE_" + op + "_GRANT_FROM_CATALOG_ROLE",
          path,
          List.of(op + "_MANAGE_GRANTS_ON_SECURABLE"),
          RolesResource.crolePath(catalog, role),
          List.of("CATALOG_ROLE_MANAGE_GRANTS_FOR_GRANTEE"));
      RolesResource.removeGrant(
          s, new Store.Grant(securable, Securable.catalogRole(catalog, role), privilege));
    }
  }

  /** A grant record as the spec's GrantResource. */
  static ObjectNode toJson(Store.Grant g) {
    ObjectNode o = Json.object();
    String kind = Securable.kind(g.securable());
    String[] parts = Securable.parts(g.securable());
    o.put("type", kind);
    if (!kind.equals("catalog")) {
      ArrayNode ns = o.putArray("namespace");
      for (String level : parts[1].split("\u001f", -1)) {
        ns.add(level);
      }
    }
    if (kind.equals("table")) {
      o.put("tableName", parts[2]);
    }
    if (kind.equals("view")) {
      o.put("viewName", parts[2]);
    }
    o.put("privilege", g.privilege());
    return o;
  }
}
