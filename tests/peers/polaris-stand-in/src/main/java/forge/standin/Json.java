package forge.standin;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.iceberg.rest.RESTSerializers;

/**
 * JSON for both halves. {@link #REST} is configured like Iceberg's own REST object mapper
 * (kebab-case, Iceberg's serializers for requests, responses and metadata) so that the catalog
 * half reads and writes exactly what Iceberg's server code does; {@link #PLAIN} is a plain mapper
 * for the management API's camelCase documents, which this stand-in builds as trees.
 */
final class Json {
  static final ObjectMapper REST = new ObjectMapper();
  static final ObjectMapper PLAIN = new ObjectMapper();

  static {
    REST.setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY);
    REST.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    REST.setPropertyNamingStrategy(new PropertyNamingStrategies.KebabCaseStrategy());
    RESTSerializers.registerAll(REST);
  }

  private Json() {}

  static ObjectNode object() {
    return JsonNodeFactory.instance.objectNode();
  }

  static ArrayNode array() {
    return JsonNodeFactory.instance.arrayNode();
  }

  /** Parses a request body; an empty or malformed body is a 400, as Polaris's JSON layer does. */
  static JsonNode parse(byte[] body) {
    if (body == null || body.length == 0) {
      throw ApiException.badRequest("Request body is required");
    }
    try {
      return PLAIN.readTree(body);
    } catch (IOException e) {
      throw new ApiException(400, "JsonParseException", "Invalid JSON: " + e.getMessage());
    }
  }

  /** Reads an Iceberg REST request class (e.g. CreateTableRequest) with Iceberg's serializers. */
  static <T> T readRest(byte[] body, Class<T> type) {
    if (body == null || body.length == 0) {
      throw ApiException.badRequest("Request body is required");
    }
    try {
      return REST.readValue(body, type);
    } catch (IOException e) {
      throw new ApiException(400, "BadRequestException", "Malformed request: " + e.getMessage());
    }
  }

  static byte[] bytes(ObjectMapper mapper, Object value) {
    try {
      return mapper.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass(), e);
    }
  }

  static String text(byte[] body) {
    return body == null ? "" : new String(body, StandardCharsets.UTF_8);
  }
}
