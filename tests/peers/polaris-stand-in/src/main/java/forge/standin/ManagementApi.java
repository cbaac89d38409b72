package forge.standin;

import java.util.List;

/**
 * The router of {@code /api/management/v1/...} (Polaris 1.7's management service): picks the
 * resource class for the path and method, after the caller's token was verified. Unknown paths
 * are 404 and known paths with another method 405, as a JAX-RS server answers them.
 */
final class ManagementApi {
  private final CatalogsResource catalogs;
  private final PrincipalsResource principals;
  private final RolesResource roles;
  private final GrantsResource grants;

  ManagementApi(IcebergCatalogs iceberg) {
    this.catalogs = new CatalogsResource(iceberg);
    this.principals = new PrincipalsResource();
    this.roles = new RolesResource();
    this.grants = new GrantsResource(iceberg);
  }

  /** {@code path} is what follows {@code /api/management/v1}, already split and decoded. */
  void handle(Exchange ex, Caller caller, List<String> path) {
    String m = ex.method;
    int n = path.size();
    Store s = caller.store();
    synchronized (s) {
      if (n >= 1 && path.get(0).equals("catalogs")) {
        if (n == 1) {
          dispatch(m, "GET", () -> catalogs.list(ex, caller), "POST", () -> catalogs.create(ex, caller));
        } else if (n == 2) {
          String c = path.get(1);
          dispatch(
              m,
              "GET", () -> catalogs.get(ex, caller, c),
              "PUT", () -> catalogs.update(ex, caller, c),
              "DELETE", () -> catalogs.delete(ex, caller, c));
        } else if (n == 3 && path.get(2).equals("catalog-roles")) {
          String c = path.get(1);
          dispatch(
              m,
              "GET", () -> roles.listCatalogRoles(ex, caller, c),
              "POST", () -> roles.createCatalogRole(ex, caller, c));
        } else if (n == 4 && path.get(2).equals("catalog-roles")) {
          String c = path.get(1);
          String r = path.get(3);
          dispatch(
              m,
              "GET", () -> roles.getCatalogRole(ex, caller, c, r),
              "PUT", () -> roles.updateCatalogRole(ex, caller, c, r),
              "DELETE", () -> roles.deleteCatalogRole(ex, caller, c, r));
        } else if (n == 5 && path.get(2).equals("catalog-roles") && path.get(4).equals("principal-roles")) {
          dispatch(m, "GET", () -> roles.listPrincipalRolesOfCatalogRole(ex, caller, path.get(1), path.get(3)));
        } else if (n == 5 && path.get(2).equals("catalog-roles") && path.get(4).equals("grants")) {
          String c = path.get(1);
          String r = path.get(3);
          dispatch(
              m,
              "GET", () -> grants.list(ex, caller, c, r),
              "PUT", () -> grants.add(ex, caller, c, r),
              "POST", () -> grants.revoke(ex, caller, c, r));
        } else {
          throw noRoute(ex);
        }
      } else if (n >= 1 && path.get(0).equals("principals")) {
        if (n == 1) {
          dispatch(m, "GET", () -> principals.list(ex, caller), "POST", () -> principals.create(ex, caller));
        } else if (n == 2) {
          String p = path.get(1);
          dispatch(
              m,
              "GET", () -> principals.get(ex, caller, p),
              "PUT", () -> principals.update(ex, caller, p),
              "DELETE", () -> principals.delete(ex, caller, p));
        } else if (n == 3 && path.get(2).equals("rotate")) {
          dispatch(m, "POST", () -> principals.rotate(ex, caller, path.get(1)));
        } else if (n == 3 && path.get(2).equals("reset")) {
          dispatch(m, "POST", () -> principals.reset(ex, caller, path.get(1)));
        } else if (n == 3 && path.get(2).equals("principal-roles")) {
          String p = path.get(1);
          dispatch(
              m,
              "GET", () -> roles.listRolesOfPrincipal(ex, caller, p),
              "PUT", () -> roles.assignPrincipalRole(ex, caller, p));
        } else if (n == 4 && path.get(2).equals("principal-roles")) {
          dispatch(m, "DELETE", () -> roles.revokePrincipalRole(ex, caller, path.get(1), path.get(3)));
        } else {
          throw noRoute(ex);
        }
      } else if (n >= 1 && path.get(0).equals("principal-roles")) {
        if (n == 1) {
          dispatch(
              m,
              "GET", () -> roles.listPrincipalRoles(ex, caller),
              "POST", () -> roles.createPrincipalRole(ex, caller));
        } else if (n == 2) {
          String r = path.get(1);
          dispatch(
              m,
              "GET", () -> roles.getPrincipalRole(ex, caller, r),
              "PUT", () -> roles.updatePrincipalRole(ex, caller, r),
              "DELETE", () -> roles.deletePrincipalRole(ex, caller, r));
        } else if (n == 3 && path.get(2).equals("principals")) {
          dispatch(m, "GET", () -> roles.listPrincipalsOfRole(ex, caller, path.get(1)));
        } else if (n == 4 && path.get(2).equals("catalog-roles")) {
          String r = path.get(1);
          String c = path.get(3);
          dispatch(
              m,
              "GET", () -> roles.listCatalogRolesOfPrincipalRole(ex, caller, r, c),
              "PUT", () -> roles.assignCatalogRole(ex, caller, r, c));
        } else if (n == 5 && path.get(2).equals("catalog-roles")) {
          dispatch(
              m,
              "DELETE",
              () -> roles.revokeCatalogRole(ex, caller, path.get(1), path.get(3), path.get(4)));
        } else {
          throw noRoute(ex);
        }
      } else {
        throw noRoute(ex);
      }
    }
  }

  static ApiException noRoute(Exchange ex) {
    return new ApiException(404, "NotFoundException", "No route for " + ex.method + " " + ex.rawPath);
  }

  /** Runs the action registered for {@code method}, or answers 405. */
  private static void dispatch(String method, String m1, Runnable a1) {
    dispatch(method, m1, a1, null, null, null, null);
  }

  private static void dispatch(String method, String m1, Runnable a1, String m2, Runnable a2) {
    dispatch(method, m1, a1, m2, a2, null, null);
  }

  private static void dispatch(
      String method, String m1, Runnable a1, String m2, Runnable a2, String m3, Runnable a3) {
    if (method.equals(m1)) {
      a1.run();
    } else if (method.equals(m2)) {
      a2.run();
    } else if (method.equals(m3)) {
      a3.run();
    } else {
      throw new ApiException(405, "NotAllowedException", "HTTP " + method + " is not allowed here");
    }
  }
}
