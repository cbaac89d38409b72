package forge.standin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.jdbc.JdbcCatalog;

/**
 * The Iceberg half: one Apache Iceberg {@link JdbcCatalog} per Polaris catalog, on a sqlite file
 * in the stand-in's state directory, with {@code S3FileIO} writing metadata under the catalog's
 * {@code default-base-location} (so a table's location is
 * {@code <default-base-location>/<namespace>/<table>}, as in Polaris). Opened on first use,
 * reopened after the catalog's properties change, closed and deleted with the catalog.
 */
final class IcebergCatalogs {
  private final Path dir;
  private final S3Settings s3;
  private final Map<Long, JdbcCatalog> open = new ConcurrentHashMap<>();

  IcebergCatalogs(Path dir, S3Settings s3) {
    this.dir = dir;
    this.s3 = s3;
  }

  /** The Iceberg catalog behind Polaris catalog {@code c} of realm {@code s}. */
  JdbcCatalog get(Store s, Entity c) {
    return open.computeIfAbsent(c.id, id -> create(s, c));
  }

  /** Closes the catalog so that the next use sees changed properties (the data stays). */
  void reopen(Entity c) {
    JdbcCatalog cat = open.remove(c.id);
    if (cat != null) {
      close(cat);
    }
  }

  /** Closes the catalog and deletes its sqlite file (the catalog was dropped). */
  void drop(Store s, Entity c) {
    reopen(c);
    try {
      Files.deleteIfExists(file(s, c));
    } catch (IOException e) {
      throw new IllegalStateException("cannot delete " + file(s, c), e);
    }
  }

  boolean hasNamespaces(Store s, Entity c) {
    return !get(s, c).listNamespaces().isEmpty();
  }

  boolean namespaceExists(Store s, Entity c, List<String> ns) {
    return !ns.isEmpty() && get(s, c).namespaceExists(Namespace.of(ns.toArray(String[]::new)));
  }

  boolean tableExists(Store s, Entity c, List<String> ns, String t) {
    return get(s, c).tableExists(TableIdentifier.of(Namespace.of(ns.toArray(String[]::new)), t));
  }

  boolean viewExists(Store s, Entity c, List<String> ns, String v) {
    return get(s, c).viewExists(TableIdentifier.of(Namespace.of(ns.toArray(String[]::new)), v));
  }

  private JdbcCatalog create(Store s, Entity c) {
    var storage = c.storageConfigInfo;
    String endpoint = storage.path("endpointInternal").asText(storage.path("endpoint").asText(null));
    Map<String, String> p = new HashMap<>();
    p.put(CatalogProperties.URI, "jdbc:sqlite:" + file(s, c));
    p.put(CatalogProperties.WAREHOUSE_LOCATION, c.properties.get("default-base-location"));
    p.put(CatalogProperties.FILE_IO_IMPL, "org.apache.iceberg.aws.s3.S3FileIO");
    p.put("jdbc.schema-version", "V1");
    p.put("s3.endpoint", endpoint != null ? endpoint : s3.endpoint());
    p.put("s3.path-style-access", storage.path("pathStyleAccess").asText("false"));
    p.put("s3.access-key-id", s3.accessKey());
    p.put("s3.secret-access-key", s3.secretKey());
    p.put("client.region", storage.path("region").asText("us-east-1"));
    JdbcCatalog cat = new JdbcCatalog();
    cat.initialize(c.name, p);
    return cat;
  }

  private Path file(Store s, Entity c) {
    return dir.resolve(s.realm + "-" + c.id + ".db");
  }

  private static void close(JdbcCatalog cat) {
    cat.close();
  }
}
