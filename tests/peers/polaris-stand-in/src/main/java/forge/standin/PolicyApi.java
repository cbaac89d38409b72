package forge.standin;

import java.util.Arrays;
import java.util.List;

/**
 * {@code /api/catalog/polaris/v1/{prefix}/...}, Polaris's own catalog APIs, of which this
 * stand-in serves one call: listing a namespace's policies ({@code GET
 * .../namespaces/{ns}/policies}, needing {@code POLICY_LIST} on the namespace), which is always
 * empty because policies cannot be created here; the official CLI's {@code setup export} reads
 * it for every namespace. Every other route (policy create/load/attach, generic tables,
 * notifications, semantic models) is 501 {@code NotImplementedException}.
 */
final class PolicyApi {
  private final IcebergCatalogs catalogs;

  PolicyApi(IcebergCatalogs catalogs) {
    this.catalogs = catalogs;
  }

  /** {@code path} follows {@code /api/catalog/polaris/v1}. */
  void handle(Exchange ex, Caller caller, List<String> path) {
    if (path.size() == 4
        && path.get(1).equals("namespaces")
        && path.get(3).equals("policies")
        && ex.method.equals("GET")) {
      String catalog = path.get(0);
      List<String> ns = Arrays.asList(path.get(2).split("\u001f", -1));
      Store s = caller.store();
      Entity c;
      synchronized (s) {
        c = s.catalogs.get(catalog);
      }
      if (c == null) {
        throw ApiException.notFound("Catalog not found: %s", catalog);
      }
      if (!catalogs.namespaceExists(s, c, ns)) {
        throw new ApiException(
            404, "NoSuchNamespaceException", "Namespace does not exist: " + String.join(".", ns));
      }
      Authorizer.require(caller, "LIST_POLICY", Securable.namespacePath(catalog, ns), "POLICY_LIST");
      var out = Json.object();
      out.putArray("identifiers");
      ex.reply(200, Json.bytes(Json.PLAIN, out));
      return;
    }
    throw new ApiException(
        501, "NotImplementedException", "The Polaris stand-in serves no policies or generic tables");
  }
}
