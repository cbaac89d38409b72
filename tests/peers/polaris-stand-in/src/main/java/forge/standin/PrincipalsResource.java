package forge.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /principals/...}: create (201 with the credentials, the only time besides rotate and
 * reset that a secret is answered; 409 if the name exists), list, get, update (version check,
 * properties replaced), delete, and the credential operations with Polaris 1.7's rules:
 * <ul>
 *   <li>rotate needs {@code PRINCIPAL_ROTATE_CREDENTIALS}, which only that privilege itself
 *       satisfies and which no API grants, so in practice a principal may rotate only its own
 *       credentials (Polaris lets any principal rotate itself, skipping authorization);
 *   <li>reset is allowed to the {@code root} principal only (403 for everyone else, whatever
 *       their grants); its optional body sets a chosen client id (409 if another principal uses
 *       it) and/or secret.
 * </ul>
 * Polaris 1.7 does not protect the {@code root} principal against deletion (only the
 * {@code service_admin} and {@code catalog_admin} roles are undroppable), and neither does this.
 */
final class PrincipalsResource {
  void list(Exchange ex, Caller caller) {
    Authorizer.require(caller, "LIST_PRINCIPALS", List.of(Securable.ROOT), "PRINCIPAL_LIST");
    ObjectNode out = Json.object();
    ArrayNode list = out.putArray("principals");
    caller.store().principals.values().forEach(p -> list.add(p.toJson()));
    ex.reply(200, Json.bytes(Json.PLAIN, out));
  }

  void create(Exchange ex, Caller caller) {
    JsonNode body = Json.parse(ex.body);
    JsonNode p = body.path("principal");
    String name = p.path("name").asText();
    Authorizer.require(caller, "CREATE_PRINCIPAL", List.of(Securable.ROOT), "PRINCIPAL_CREATE");
    Store s = caller.store();
    if (s.principals.containsKey(name)) {
      throw ApiException.alreadyExists(
          "Cannot create Principal %s. Principal already exists or resolution failed", name);
    }
    Entity e = new Entity(Entity.Kind.PRINCIPAL, s.newId(), name, null);
    e.properties = properties(p.path("properties"));
    e.clientId = Store.newClientId();
    String secret = Store.newSecret();
    s.principals.put(name, e);
    s.secrets.put(e.clientId, secret);
    ex.reply(201, Json.bytes(Json.PLAIN, withCredentials(e, secret)));
  }

  void get(Exchange ex, Caller caller, String name) {
    Entity e = find(caller.store(), name);
    Authorizer.require(caller, "GET_PRINCIPAL", path(name), "PRINCIPAL_READ_PROPERTIES");
    ex.reply(200, Json.bytes(Json.PLAIN, e.toJson()));
  }

  void update(Exchange ex, Caller caller, String name) {
    JsonNode body = Json.parse(ex.body);
    Entity e = find(caller.store(), name);
    Authorizer.require(caller, "UPDATE_PRINCIPAL", path(name), "PRINCIPAL_WRITE_PROPERTIES");
    checkVersion("Principal", e, body);
    if (body.has("properties") && !body.get("properties").isNull()) {
      e.properties = properties(body.get("properties"));
    }
    e.touched();
    ex.reply(200, Json.bytes(Json.PLAIN, e.toJson()));
  }

  void delete(Exchange ex, Caller caller, String name) {
    Store s = caller.store();
    Entity e = find(s, name);
    Authorizer.require(caller, "DELETE_PRINCIPAL", path(name), "PRINCIPAL_DROP");
    s.principals.remove(name);
    s.secrets.remove(e.clientId);
    s.forget(Securable.principal(name));
    ex.replyEmpty(204);
  }

  void rotate(Exchange ex, Caller caller, String name) {
    Store s = caller.store();
    Entity e = find(s, name);
    if (!caller.principal().equals(name)) {
      Authorizer.require(caller, "ROTATE_CREDENTIALS", path(name), "PRINCIPAL_ROTATE_CREDENTIALS");
    }
    String secret = Store.newSecret();
    s.secrets.put(e.clientId, secret);
    ex.reply(200, Json.bytes(Json.PLAIN, withCredentials(e, secret)));
  }

  void reset(Exchange ex, Caller caller, String name) {
    Store s = caller.store();
    Entity e = find(s, name);
    if (!caller.isRoot()) {
      throw ApiException.forbidden(
          "Only Root principal(service-admin) can perform %s", "RESET_CREDENTIALS");
    }
    JsonNode body = ex.body.length == 0 ? Json.object() : Json.parse(ex.body);
    String clientId = body.path("clientId").asText(null);
    String secret = body.path("clientSecret").asText(null);
    if (clientId != null) {
      Entity other = s.principalByClientId(clientId);
      if (other != null && other != e) {
        throw ApiException.alreadyExists("Client ID already in use: %s", clientId);
      }
    }
    s.secrets.remove(e.clientId);
    if (clientId != null && !clientId.equals(e.clientId)) {
      e.clientId = clientId;
      e.touched();
    }
    String newSecret = secret != null ? secret : Store.newSecret();
    s.secrets.put(e.clientId, newSecret);
    ex.reply(200, Json.bytes(Json.PLAIN, withCredentials(e, newSecret)));
  }

  /** 409 unless the body's {@code currentEntityVersion} is the entity's version. */
  static void checkVersion(String label, Entity e, JsonNode body) {
    int expected = body.path("currentEntityVersion").asInt();
    if (e.entityVersion != expected) {
      throw ApiException.commitConflict(
          "Failed to update %s; currentEntityVersion '%s', expected '%s'",
          label, e.entityVersion, expected);
    }
  }

  static Map<String, String> properties(JsonNode node) {
    Map<String, String> out = new LinkedHashMap<>();
    node.properties().forEach(f -> out.put(f.getKey(), f.getValue().asText()));
    return out;
  }

  static Entity find(Store s, String name) {
    Entity e = s.principals.get(name);
    if (e == null) {
      throw ApiException.notFound("TopLevelEntity of type PRINCIPAL does not exist: %s", name);
    }
    return e;
  }

  static List<String> path(String principal) {
    return List.of(Securable.ROOT, Securable.principal(principal));
  }

  private static ObjectNode withCredentials(Entity e, String secret) {
    ObjectNode out = Json.object();
    out.set("principal", e.toJson());
    ObjectNode c = out.putObject("credentials");
    c.put("clientId", e.clientId);
    c.put("clientSecret", secret);
    return out;
  }
}
