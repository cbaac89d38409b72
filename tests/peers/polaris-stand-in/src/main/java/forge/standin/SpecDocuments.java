package forge.standin;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.ComposedSchema;
import io.swagger.v3.oas.models.media.Discriminator;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.util.ResolverFully;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads one of the OpenAPI documents (following its relative {@code $ref}s into the other
 * files) and restates its discriminated unions in plain JSON Schema, without changing what they
 * accept, so that the validator library can check them: its discriminator support loops without
 * end on the documents' pattern, where a base schema's discriminator maps to subtypes that are
 * {@code allOf} the base itself (Polaris's {@code Catalog}, {@code StorageConfigInfo},
 * {@code GrantResource}; Iceberg's {@code BaseUpdate}, {@code TableRequirement}, ...).
 *
 * <p>For a base {@code B} with discriminator property {@code p} and mapping {@code v -> T}:
 * the original {@code B} (its properties and required list, without the discriminator) is kept
 * as {@code B__base}; each {@code T} refers to {@code B__base} instead of {@code B} and gains
 * the condition {@code p in [the values mapped to T]}; and {@code B} becomes
 * {@code oneOf [T...]}. A value of {@code p} outside the mapping therefore fails, as it does
 * when Polaris deserializes the body. The files on disk are not touched. After the rewrite
 * every {@code $ref} is inlined (the library's own loading does the same).
 */
final class SpecDocuments {
  private static final String PREFIX = "#/components/schemas/";

  private SpecDocuments() {}

  static OpenAPI load(Path file) {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    var result = new OpenAPIParser().readLocation(file.toUri().toString(), null, options);
    OpenAPI api = result.getOpenAPI();
    // The parser notes OpenAPI 3.1 keywords (Iceberg's `const`, `contentEncoding`) as
    // unexpected in a 3.0 document and ignores them; anything else it reports is fatal. The
    // consts that matter (discriminator values) are enforced by the rewrite below.
    List<String> fatal =
        result.getMessages() == null
            ? List.of()
            : result.getMessages().stream().filter(m -> !m.matches("attribute \\S+ is unexpected")).toList();
    if (api == null || !fatal.isEmpty()) {
      throw new IllegalStateException("cannot parse " + file + ": " + fatal);
    }
    rewriteDiscriminators(api.getComponents().getSchemas());
    // Inline every $ref (responses included), as the validator library expects.
    new ResolverFully(false).resolveFully(api);
    return api;
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  static void rewriteDiscriminators(Map<String, Schema> schemas) {
    for (String base : new ArrayList<>(schemas.keySet())) {
      Schema b = schemas.get(base);
      Discriminator d = b.getDiscriminator();
      if (d == null) {
        continue;
      }
      b.setDiscriminator(null);
      Map<String, List<String>> valuesByTarget = new LinkedHashMap<>();
      if (d.getMapping() != null) {
        d.getMapping()
            .forEach(
                (value, ref) ->
                    valuesByTarget
                        .computeIfAbsent(ref.substring(ref.lastIndexOf('/') + 1), k -> new ArrayList<>())
                        .add(value));
      }
      if (valuesByTarget.isEmpty() || b.getOneOf() != null || b.getAnyOf() != null) {
        continue; // a oneOf/anyOf already says which shapes are allowed: the mapping adds nothing
      }
      String baseCopy = base + "__base";
      schemas.put(baseCopy, b);
      List<Schema> alternatives = new ArrayList<>();
      valuesByTarget.forEach(
          (target, values) -> {
            Schema t = schemas.get(target);
            if (t == null) {
              return;
            }
            if (t.getAllOf() != null) {
              for (Object o : t.getAllOf()) {
                Schema member = (Schema) o;
                if ((PREFIX + base).equals(member.get$ref())) {
                  member.set$ref(PREFIX + baseCopy);
                }
              }
            } else {
              t.setAllOf(new ArrayList<>());
            }
            StringSchema tag = new StringSchema();
            tag.setEnum(values);
            Schema condition = new Schema();
            condition.setProperties(new LinkedHashMap<>(Map.of(d.getPropertyName(), tag)));
            t.getAllOf().add(condition);
            alternatives.add(new Schema().$ref(PREFIX + target));
          });
      ComposedSchema union = new ComposedSchema();
      union.setOneOf(alternatives);
      union.setDescription(b.getDescription());
      schemas.put(base, union);
    }
  }
}
