package forge.standin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.iceberg.MetadataUpdate;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.rest.CatalogHandlers;
import org.apache.iceberg.rest.RESTCatalogProperties.SnapshotMode;
import org.apache.iceberg.rest.requests.CreateNamespaceRequest;
import org.apache.iceberg.rest.requests.CreateTableRequest;
import org.apache.iceberg.rest.requests.CreateViewRequest;
import org.apache.iceberg.rest.requests.RegisterTableRequest;
import org.apache.iceberg.rest.requests.RegisterViewRequest;
import org.apache.iceberg.rest.requests.RenameTableRequest;
import org.apache.iceberg.rest.requests.UpdateNamespacePropertiesRequest;
import org.apache.iceberg.rest.requests.UpdateTableRequest;

/**
 * {@code /api/catalog/v1/config} and {@code /api/catalog/v1/{prefix}/...}: Polaris's Iceberg
 * REST catalog. The prefix is the Polaris catalog's name. Each call validates entity names
 * ({@link NameRules}, before anything else, as Polaris does), resolves the namespace or table
 * (404), authorizes the caller for the operation with Polaris's privilege mapping
 * ({@link Authorizer}; e.g. create table needs {@code TABLE_CREATE} on the namespace), checks
 * the table locations a request asks for ({@link LocationRules}), and then hands the request to
 * Apache Iceberg's own {@link CatalogHandlers} over the catalog's
 * {@link JdbcCatalog}. Replies are serialized with Iceberg's REST serializers.
 *
 * <p>Not served: credential vending (a request for {@code vended-credentials} is 400, as Polaris
 * answers when STS is unavailable), {@code /credentials}, multi-table
 * {@code /transactions/commit} (406), scan planning, and the Polaris-native
 * {@code /api/catalog/polaris/v1} APIs (generic tables, policies, notifications).
 */
final class IcebergApi {
  /** What {@code /config} lists under {@code endpoints}: the routes served here. */
  private static final List<String> ENDPOINTS =
      List.of(
          "GET /v1/{prefix}/namespaces",
          "POST /v1/{prefix}/namespaces",
          "GET /v1/{prefix}/namespaces/{namespace}",
          "HEAD /v1/{prefix}/namespaces/{namespace}",
          "DELETE /v1/{prefix}/namespaces/{namespace}",
          "POST /v1/{prefix}/namespaces/{namespace}/properties",
          "GET /v1/{prefix}/namespaces/{namespace}/tables",
          "POST /v1/{prefix}/namespaces/{namespace}/tables",
          "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
          "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
          "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
          "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
          "POST /v1/{prefix}/namespaces/{namespace}/register",
          "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
          "POST /v1/{prefix}/tables/rename",
          "GET /v1/{prefix}/namespaces/{namespace}/views",
          "POST /v1/{prefix}/namespaces/{namespace}/views",
          "GET /v1/{prefix}/namespaces/{namespace}/views/{view}",
          "HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}",
          "POST /v1/{prefix}/namespaces/{namespace}/views/{view}",
          "DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}",
          "POST /v1/{prefix}/namespaces/{namespace}/register-view",
          "POST /v1/{prefix}/views/rename");

  private final IcebergCatalogs catalogs;

  IcebergApi(IcebergCatalogs catalogs) {
    this.catalogs = catalogs;
  }

  /** {@code path} follows {@code /api/catalog/v1}; the token endpoint was handled before. */
  void handle(Exchange ex, Caller caller, List<String> path) {
    if (path.size() == 1 && path.get(0).equals("config")) {
      config(ex, caller);
      return;
    }
    if (path.size() < 2) {
      throw ManagementApi.noRoute(ex);
    }
    String prefix = path.get(0);
    List<String> rest = path.subList(1, path.size());
    String m = ex.method;
    int n = rest.size();
    if (rest.get(0).equals("namespaces")) {
      if (n == 1 && m.equals("GET")) {
        listNamespaces(ex, caller, prefix);
      } else if (n == 1 && m.equals("POST")) {
        createNamespace(ex, caller, prefix);
      } else if (n == 2) {
        namespace(ex, caller, prefix, levels(rest.get(1)));
      } else if (n == 3 && rest.get(2).equals("properties") && m.equals("POST")) {
        updateNamespace(ex, caller, prefix, levels(rest.get(1)));
      } else if (n == 3 && rest.get(2).equals("tables")) {
        tables(ex, caller, prefix, levels(rest.get(1)));
      } else if (n == 3 && rest.get(2).equals("register") && m.equals("POST")) {
        registerTable(ex, caller, prefix, levels(rest.get(1)));
      } else if (n == 4 && rest.get(2).equals("tables")) {
        table(ex, caller, prefix, levels(rest.get(1)), rest.get(3));
      } else if (n == 5 && rest.get(2).equals("tables") && rest.get(4).equals("metrics")) {
        metrics(ex, caller, prefix, levels(rest.get(1)), rest.get(3));
      } else if (n == 3 && rest.get(2).equals("views")) {
        views(ex, caller, prefix, levels(rest.get(1)));
      } else if (n == 3 && rest.get(2).equals("register-view") && m.equals("POST")) {
        registerView(ex, caller, prefix, levels(rest.get(1)));
      } else if (n == 4 && rest.get(2).equals("views")) {
        view(ex, caller, prefix, levels(rest.get(1)), rest.get(3));
      } else {
        throw ManagementApi.noRoute(ex);
      }
    } else if (n == 2 && rest.get(0).equals("tables") && rest.get(1).equals("rename")) {
      rename(ex, caller, prefix, false);
    } else if (n == 2 && rest.get(0).equals("views") && rest.get(1).equals("rename")) {
      rename(ex, caller, prefix, true);
    } else if (n == 2 && rest.get(0).equals("transactions")) {
      throw new ApiException(
          406,
          "UnsupportedOperationException",
          "Multi-table transactions are not served by the Polaris stand-in");
    } else {
      throw ManagementApi.noRoute(ex);
    }
  }

  // ---- config --------------------------------------------------------------------------

  private void config(Exchange ex, Caller caller) {
    String warehouse = ex.query("warehouse");
    if (warehouse == null || warehouse.isEmpty()) {
      throw ApiException.badRequest("Please specify a warehouse");
    }
    Entity c;
    synchronized (caller.store()) {
      c = caller.store().catalogs.get(warehouse);
    }
    if (c == null) {
      throw ApiException.notFound("Unable to find warehouse %s", warehouse);
    }
    ObjectNode out = Json.object();
    ObjectNode defaults = out.putObject("defaults");
    c.properties.forEach(defaults::put);
    // Polaris also tells clients its namespace separator (U+001F, URL-encoded).
    out.putObject("overrides").put("prefix", warehouse).put("namespace-separator", "%1F");
    ArrayNode endpoints = out.putArray("endpoints");
    ENDPOINTS.forEach(endpoints::add);
    ex.reply(200, Json.bytes(Json.PLAIN, out));
  }

  // ---- namespaces ----------------------------------------------------------------------

  private void listNamespaces(Exchange ex, Caller caller, String prefix) {
    Target t = target(caller, prefix);
    String parent = ex.query("parent");
    List<String> p = parent == null || parent.isEmpty() ? List.of() : levels(parent);
    if (!p.isEmpty()) {
      requireNamespace(t, p);
    }
    Authorizer.require(caller, "LIST_NAMESPACES", nsPath(t, p), "NAMESPACE_LIST");
    Namespace ns = Namespace.of(p.toArray(String[]::new));
    String size = ex.query("pageSize");
    Object res =
        size == null
            ? CatalogHandlers.listNamespaces(t.iceberg, ns)
            : CatalogHandlers.listNamespaces(t.iceberg, ns, ex.query("pageToken"), size);
    rest(ex, res);
  }

  private void createNamespace(Exchange ex, Caller caller, String prefix) {
    CreateNamespaceRequest req = Json.readRest(ex.body, CreateNamespaceRequest.class);
    List<String> levels = Arrays.asList(req.namespace().levels());
    NameRules.checkAll(levels);
    Target t = target(caller, prefix);
    List<String> parent = levels.isEmpty() ? List.of() : levels.subList(0, levels.size() - 1);
    if (!parent.isEmpty()) {
      requireNamespace(t, parent);
    }
    Authorizer.require(caller, "CREATE_NAMESPACE", nsPath(t, parent), "NAMESPACE_CREATE");
    var created = CatalogHandlers.createNamespace(t.iceberg, req);
    rest(
        ex,
        org.apache.iceberg.rest.responses.CreateNamespaceResponse.builder()
            .withNamespace(created.namespace())
            .setProperties(withSlash(created.properties()))
            .build());
  }

  private void namespace(Exchange ex, Caller caller, String prefix, List<String> levels) {
    Target t = target(caller, prefix);
    requireNamespace(t, levels);
    Namespace ns = Namespace.of(levels.toArray(String[]::new));
    List<String> path = nsPath(t, levels);
    switch (ex.method) {
      case "GET" -> {
        Authorizer.require(caller, "LOAD_NAMESPACE_METADATA", path, "NAMESPACE_READ_PROPERTIES");
        var loaded = CatalogHandlers.loadNamespace(t.iceberg, ns);
        rest(
            ex,
            org.apache.iceberg.rest.responses.GetNamespaceResponse.builder()
                .withNamespace(loaded.namespace())
                .setProperties(withSlash(loaded.properties()))
                .build());
      }
      case "HEAD" -> {
        Authorizer.require(caller, "NAMESPACE_EXISTS", path, "NAMESPACE_LIST");
        ex.replyEmpty(204);
      }
      case "DELETE" -> {
        Authorizer.require(caller, "DROP_NAMESPACE", path, "NAMESPACE_DROP");
        CatalogHandlers.dropNamespace(t.iceberg, ns);
        synchronized (caller.store()) {
          caller.store().forgetUnder(Securable.namespace(t.name, levels));
        }
        ex.replyEmpty(204);
      }
      default -> throw notAllowed(ex);
    }
  }

  private void updateNamespace(Exchange ex, Caller caller, String prefix, List<String> levels) {
    UpdateNamespacePropertiesRequest req =
        Json.readRest(ex.body, UpdateNamespacePropertiesRequest.class);
    Target t = target(caller, prefix);
    requireNamespace(t, levels);
    Authorizer.require(
        caller, "UPDATE_NAMESPACE_PROPERTIES", nsPath(t, levels), "NAMESPACE_WRITE_PROPERTIES");
    rest(
        ex,
        CatalogHandlers.updateNamespaceProperties(
            t.iceberg, Namespace.of(levels.toArray(String[]::new)), req));
  }

  // ---- tables --------------------------------------------------------------------------

  private void tables(Exchange ex, Caller caller, String prefix, List<String> levels) {
    Namespace ns = Namespace.of(levels.toArray(String[]::new));
    if (ex.method.equals("GET")) {
      Target t = target(caller, prefix);
      requireNamespace(t, levels);
      Authorizer.require(caller, "LIST_TABLES", nsPath(t, levels), "TABLE_LIST");
      String size = ex.query("pageSize");
      rest(
          ex,
          size == null
              ? CatalogHandlers.listTables(t.iceberg, ns)
              : CatalogHandlers.listTables(t.iceberg, ns, ex.query("pageToken"), size));
    } else if (ex.method.equals("POST")) {
      CreateTableRequest req = Json.readRest(ex.body, CreateTableRequest.class);
      req.validate();
      NameRules.checkAll(levels);
      NameRules.check(req.name());
      Target t = target(caller, prefix);
      requireNamespace(t, levels);
      boolean vended = delegation(ex);
      if (vended) {
        Authorizer.require(
            caller, "CREATE_TABLE_DIRECT_WITH_WRITE_DELEGATION", nsPath(t, levels),
            "TABLE_CREATE", "TABLE_WRITE_DATA");
        throw noVending();
      }
      Authorizer.require(caller, "CREATE_TABLE_DIRECT", nsPath(t, levels), "TABLE_CREATE");
      if (req.location() != null) {
        LocationRules.check(
            t.entity, namespaceLocation(t, levels), TableIdentifier.of(ns, req.name()),
            Set.of(req.location()));
      }
      rest(
          ex,
          req.stageCreate()
              ? CatalogHandlers.stageTableCreate(t.iceberg, ns, req)
              : CatalogHandlers.createTable(t.iceberg, ns, req));
    } else {
      throw notAllowed(ex);
    }
  }

  private void registerTable(Exchange ex, Caller caller, String prefix, List<String> levels) {
    RegisterTableRequest req = Json.readRest(ex.body, RegisterTableRequest.class);
    req.validate();
    NameRules.checkAll(levels);
    NameRules.check(req.name());
    Target t = target(caller, prefix);
    requireNamespace(t, levels);
    Authorizer.require(caller, "REGISTER_TABLE", nsPath(t, levels), "TABLE_CREATE");
    Namespace ns = Namespace.of(levels.toArray(String[]::new));
    LocationRules.check(
        t.entity, namespaceLocation(t, levels), TableIdentifier.of(ns, req.name()),
        Set.of(req.metadataLocation()));
    rest(ex, CatalogHandlers.registerTable(t.iceberg, ns, req));
  }

  private void table(Exchange ex, Caller caller, String prefix, List<String> levels, String name) {
    Target t = target(caller, prefix);
    TableIdentifier id = TableIdentifier.of(Namespace.of(levels.toArray(String[]::new)), name);
    List<String> path = Securable.tablePath(t.name, levels, name);
    if (ex.method.equals("POST")) {
      UpdateTableRequest req = Json.readRest(ex.body, UpdateTableRequest.class);
      boolean create =
          req.requirements().stream()
              .anyMatch(r -> r instanceof org.apache.iceberg.UpdateRequirement.AssertTableDoesNotExist);
      if (create) {
        NameRules.checkAll(levels);
        NameRules.check(name);
        requireNamespace(t, levels);
        Authorizer.require(caller, "UPDATE_TABLE_FOR_STAGED_CREATE", nsPath(t, levels), "TABLE_CREATE");
      } else {
        requireTable(t, id);
        Authorizer.require(caller, "UPDATE_TABLE", path, "TABLE_WRITE_PROPERTIES");
      }
      Set<String> moved = new LinkedHashSet<>();
      req.updates().stream()
          .filter(u -> u instanceof MetadataUpdate.SetLocation)
          .forEach(u -> moved.add(((MetadataUpdate.SetLocation) u).location()));
      if (!moved.isEmpty()) {
        LocationRules.check(t.entity, namespaceLocation(t, levels), id, moved);
      }
      rest(ex, CatalogHandlers.updateTable(t.iceberg, id, req));
      return;
    }
    requireTable(t, id);
    switch (ex.method) {
      case "GET" -> {
        if (delegation(ex)) {
          Authorizer.require(caller, "LOAD_TABLE_WITH_READ_DELEGATION", path, "TABLE_READ_DATA");
          throw noVending();
        }
        Authorizer.require(caller, "LOAD_TABLE", path, "TABLE_READ_PROPERTIES");
        String snapshots = ex.query("snapshots");
        SnapshotMode mode =
            snapshots == null ? SnapshotMode.ALL : SnapshotMode.valueOf(snapshots.toUpperCase(Locale.ROOT));
        rest(ex, CatalogHandlers.loadTable(t.iceberg, id, mode));
      }
      case "HEAD" -> {
        Authorizer.require(caller, "TABLE_EXISTS", path, "TABLE_LIST");
        ex.replyEmpty(204);
      }
      case "DELETE" -> {
        if ("true".equalsIgnoreCase(ex.query("purgeRequested"))) {
          Authorizer.require(
              caller, "DROP_TABLE_WITH_PURGE", path, List.of("TABLE_DROP", "TABLE_WRITE_DATA"), null, List.of());
          CatalogHandlers.purgeTable(t.iceberg, id);
        } else {
          Authorizer.require(caller, "DROP_TABLE_WITHOUT_PURGE", path, "TABLE_DROP");
          CatalogHandlers.dropTable(t.iceberg, id);
        }
        synchronized (caller.store()) {
          caller.store().forget(Securable.table(t.name, levels, name));
        }
        ex.replyEmpty(204);
      }
      default -> throw notAllowed(ex);
    }
  }

  private void metrics(Exchange ex, Caller caller, String prefix, List<String> levels, String name) {
    if (!ex.method.equals("POST")) {
      throw notAllowed(ex);
    }
    Target t = target(caller, prefix);
    TableIdentifier id = TableIdentifier.of(Namespace.of(levels.toArray(String[]::new)), name);
    requireTable(t, id);
    boolean commit = Json.parse(ex.body).path("report-type").asText().equals("commit-report");
    Authorizer.require(
        caller,
        commit ? "REPORT_WRITE_METRICS" : "REPORT_READ_METRICS",
        Securable.tablePath(t.name, levels, name),
        commit ? "TABLE_WRITE_DATA" : "TABLE_READ_DATA");
    ex.replyEmpty(204);
  }

  private void rename(Exchange ex, Caller caller, String prefix, boolean view) {
    if (!ex.method.equals("POST")) {
      throw notAllowed(ex);
    }
    RenameTableRequest req = Json.readRest(ex.body, RenameTableRequest.class);
    TableIdentifier to = req.destination();
    NameRules.checkAll(Arrays.asList(to.namespace().levels()));
    NameRules.check(to.name());
    Target t = target(caller, prefix);
    TableIdentifier from = req.source();
    List<String> fromNs = Arrays.asList(from.namespace().levels());
    List<String> toNs = Arrays.asList(to.namespace().levels());
    if (view) {
      if (!t.iceberg.viewExists(from)) {
        throw new ApiException(404, "NoSuchViewException", "View does not exist: " + from);
      }
    } else {
      requireTable(t, from);
    }
    requireNamespace(t, toNs);
    String kind = view ? "VIEW" : "TABLE";
    Authorizer.require(
        caller,
        "RENAME_" + kind,
        view ? Securable.viewPath(t.name, fromNs, from.name()) : Securable.tablePath(t.name, fromNs, from.name()),
        List.of(kind + "_DROP"),
        nsPath(t, toNs),
        List.of(kind + "_LIST", kind + "_CREATE"));
    if (view) {
      CatalogHandlers.renameView(t.iceberg, req);
    } else {
      CatalogHandlers.renameTable(t.iceberg, req);
    }
    synchronized (caller.store()) {
      caller.store().moveGrants(
          view ? Securable.view(t.name, fromNs, from.name()) : Securable.table(t.name, fromNs, from.name()),
          view ? Securable.view(t.name, toNs, to.name()) : Securable.table(t.name, toNs, to.name()));
    }
    ex.replyEmpty(204);
  }

  // ---- views ---------------------------------------------------------------------------

  private void views(Exchange ex, Caller caller, String prefix, List<String> levels) {
    Namespace ns = Namespace.of(levels.toArray(String[]::new));
    if (ex.method.equals("GET")) {
      Target t = target(caller, prefix);
      requireNamespace(t, levels);
      Authorizer.require(caller, "LIST_VIEWS", nsPath(t, levels), "VIEW_LIST");
      rest(ex, CatalogHandlers.listViews(t.iceberg, ns));
    } else if (ex.method.equals("POST")) {
      CreateViewRequest req = Json.readRest(ex.body, CreateViewRequest.class);
      NameRules.checkAll(levels);
      NameRules.check(req.name());
      Target t = target(caller, prefix);
      requireNamespace(t, levels);
      Authorizer.require(caller, "CREATE_VIEW", nsPath(t, levels), "VIEW_CREATE");
      rest(ex, CatalogHandlers.createView(t.iceberg, ns, req));
    } else {
      throw notAllowed(ex);
    }
  }

  private void registerView(Exchange ex, Caller caller, String prefix, List<String> levels) {
    RegisterViewRequest req = Json.readRest(ex.body, RegisterViewRequest.class);
    NameRules.checkAll(levels);
    NameRules.check(req.name());
    Target t = target(caller, prefix);
    requireNamespace(t, levels);
    Authorizer.require(caller, "REGISTER_VIEW", nsPath(t, levels), "VIEW_CREATE");
    rest(ex, CatalogHandlers.registerView(t.iceberg, Namespace.of(levels.toArray(String[]::new)), req));
  }

  private void view(Exchange ex, Caller caller, String prefix, List<String> levels, String name) {
    Target t = target(caller, prefix);
    TableIdentifier id = TableIdentifier.of(Namespace.of(levels.toArray(String[]::new)), name);
    if (!t.iceberg.viewExists(id)) {
      throw new ApiException(404, "NoSuchViewException", "View does not exist: " + id);
    }
    List<String> path = Securable.viewPath(t.name, levels, name);
    switch (ex.method) {
      case "GET" -> {
        Authorizer.require(caller, "LOAD_VIEW", path, "VIEW_READ_PROPERTIES");
        rest(ex, CatalogHandlers.loadView(t.iceberg, id));
      }
      case "HEAD" -> {
        Authorizer.require(caller, "VIEW_EXISTS", path, "VIEW_LIST");
        ex.replyEmpty(204);
      }
      case "POST" -> {
        UpdateTableRequest req = Json.readRest(ex.body, UpdateTableRequest.class);
        Authorizer.require(caller, "REPLACE_VIEW", path, "VIEW_WRITE_PROPERTIES");
        rest(ex, CatalogHandlers.updateView(t.iceberg, id, req));
      }
      case "DELETE" -> {
        Authorizer.require(caller, "DROP_VIEW", path, "VIEW_DROP");
        CatalogHandlers.dropView(t.iceberg, id);
        synchronized (caller.store()) {
          caller.store().forget(Securable.view(t.name, levels, name));
        }
        ex.replyEmpty(204);
      }
      default -> throw notAllowed(ex);
    }
  }

  // ---- helpers -------------------------------------------------------------------------

  /** A resolved catalog: its name, its management entity and its Iceberg catalog. */
  private record Target(String name, Entity entity, JdbcCatalog iceberg) {}

  private Target target(Caller caller, String prefix) {
    Store s = caller.store();
    synchronized (s) {
      Entity c = s.catalogs.get(prefix);
      if (c == null) {
        throw ApiException.notFound("Catalog not found: %s", prefix);
      }
      return new Target(prefix, c, catalogs.get(s, c));
    }
  }

  private static void requireNamespace(Target t, List<String> levels) {
    if (levels.isEmpty() || !t.iceberg.namespaceExists(Namespace.of(levels.toArray(String[]::new)))) {
      throw new ApiException(
          404, "NoSuchNamespaceException", "Namespace does not exist: " + String.join(".", levels));
    }
  }

  /** The namespace's location property (Iceberg's default when none was given), or null. */
  private static String namespaceLocation(Target t, List<String> levels) {
    return t.iceberg
        .loadNamespaceMetadata(Namespace.of(levels.toArray(String[]::new)))
        .get("location");
  }

  private static void requireTable(Target t, TableIdentifier id) {
    if (!t.iceberg.tableExists(id)) {
      throw new ApiException(404, "NoSuchTableException", "Table does not exist: " + id);
    }
  }

  private static List<String> nsPath(Target t, List<String> levels) {
    return Securable.namespacePath(t.name, levels);
  }

  /**
   * A namespace's properties as Polaris answers them: its {@code location} ends in {@code /}
   * (Polaris's {@code ADD_TRAILING_SLASH_TO_LOCATION}, on by default); Iceberg's JdbcCatalog
   * reports the same location without it. Table locations are the same in both.
   */
  private static java.util.Map<String, String> withSlash(java.util.Map<String, String> props) {
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>(props);
    String loc = out.get("location");
    if (loc != null && !loc.endsWith("/")) {
      out.put("location", loc + "/");
    }
    return out;
  }

  /** Namespace levels from a path segment or {@code parent} value (joined by U+001F). */
  private static List<String> levels(String segment) {
    return Arrays.asList(segment.split("\u001f", -1));
  }

  /** True when the client asked for vended credentials. */
  private static boolean delegation(Exchange ex) {
    String h = ex.header("x-iceberg-access-delegation");
    return h != null && h.contains("vended-credentials");
  }

  private static ApiException noVending() {
    return ApiException.badRequest(
        "Credential vending was requested, but the Polaris stand-in has no STS: clients must use"
            + " their own storage credentials (as with stsUnavailable=true)");
  }

  private static ApiException notAllowed(Exchange ex) {
    return new ApiException(405, "NotAllowedException", "HTTP " + ex.method + " is not allowed here");
  }

  private static void rest(Exchange ex, Object response) {
    ex.reply(200, Json.bytes(Json.REST, response));
  }
}
