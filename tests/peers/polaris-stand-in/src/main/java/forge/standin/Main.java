package forge.standin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Starts the Polaris stand-in: one Jetty server on 127.0.0.1 serving Polaris 1.7's token
 * endpoint, management API and Iceberg REST catalog for the given realms, each bootstrapped with
 * the given root credentials (like {@code POLARIS_BOOTSTRAP_CREDENTIALS}). Prints exactly one
 * line, {@code ready http://127.0.0.1:PORT}, on stdout once it serves; on SIGTERM it stops
 * Jetty and deletes its state directory (the per-catalog sqlite files).
 *
 * <pre>
 * java -cp 'polaris-stand-in.jar:lib/*' forge.standin.Main --port P --realm POLARIS[,R2]
 *   --root ID:SECRET --s3-endpoint URL --s3-access-key K --s3-secret-key S
 *   --spec-dir DIR [--state-dir DIR] [--token-lifetime SECONDS] [--access-log]
 * </pre>
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    Map<String, String> opts = parse(args);
    int port = Integer.parseInt(require(opts, "port"));
    String root = require(opts, "root");
    int colon = root.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("--root must be CLIENT_ID:SECRET");
    }
    S3Settings s3 =
        new S3Settings(
            require(opts, "s3-endpoint"), require(opts, "s3-access-key"), require(opts, "s3-secret-key"));
    Path state =
        opts.containsKey("state-dir")
            ? Files.createDirectories(Path.of(opts.get("state-dir")))
            : Files.createTempDirectory("polaris-stand-in-");
    Map<String, Store> realms = new LinkedHashMap<>();
    for (String realm : require(opts, "realm").split(",")) {
      realms.put(realm, new Store(realm, root.substring(0, colon), root.substring(colon + 1)));
    }
    long t0 = System.nanoTime();
    SpecChecker spec = new SpecChecker(Path.of(require(opts, "spec-dir")).toAbsolutePath());
    long specMillis = (System.nanoTime() - t0) / 1_000_000;
    IcebergCatalogs catalogs = new IcebergCatalogs(state, s3);

    Server server = new Server(new QueuedThreadPool(64, 4));
    // Iceberg REST joins namespace levels with %1F (the unit separator); Jetty's default
    // URI compliance refuses control characters in paths, Polaris's server does not.
    HttpConfiguration http = new HttpConfiguration();
    http.setUriCompliance(
        UriCompliance.DEFAULT.with(
            "iceberg-rest", UriCompliance.Violation.SUSPICIOUS_PATH_CHARACTERS));
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(
        new StandInHandler(
            realms,
            new Tokens(
                Integer.parseInt(
                    opts.getOrDefault(
                        "token-lifetime", String.valueOf(Tokens.DEFAULT_LIFETIME_SECONDS)))),
            catalogs,
            spec,
            opts.containsKey("access-log")));
    server.setStopAtShutdown(false);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.stop();
                  } catch (Exception e) {
                    System.err.println("stopping Jetty: " + e);
                  }
                  deleteTree(state);
                  var report = spec.report();
                  System.err.printf(
                      "polaris-stand-in: stopped; spec checks %d, violations %d, missed %d%n",
                      report.path("checks").asLong(),
                      report.path("violations").size(),
                      report.path("missed").size());
                }));
    server.start();
    System.err.printf(
        "polaris-stand-in: JVM up %d ms, spec documents loaded in %d ms, serving after %d ms%n",
        java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime(),
        specMillis,
        java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime());
    System.out.println("ready http://127.0.0.1:" + connector.getLocalPort());
    System.out.flush();
    server.join();
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument: " + args[i]);
      }
      String key = args[i].substring(2);
      if (key.equals("access-log")) {
        out.put(key, "true");
      } else if (i + 1 < args.length) {
        out.put(key, args[++i]);
      } else {
        throw new IllegalArgumentException("missing value for " + args[i]);
      }
    }
    return out;
  }

  private static String require(Map<String, String> opts, String key) {
    String v = opts.get(key);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("missing --" + key);
    }
    return v;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("cannot delete " + dir + ": " + e);
    }
  }
}
