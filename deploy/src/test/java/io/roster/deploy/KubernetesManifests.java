package io.roster.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The objects of deploy/kubernetes, parsed into fabric8's typed models as the API server would take
 * them: each file listed by the kustomization, each object of a kind and API version the manifests
 * use, and no field the model does not know (a misspelt or misplaced field would be dropped by a
 * lenient reader, and by the API server too).
 */
final class KubernetesManifests {

  /** The kinds the manifests hold, with the API version each must name. */
  private static final Map<String, Kind> KINDS =
      Map.of(
          "ConfigMap", new Kind("v1", ConfigMap.class),
          "Service", new Kind("v1", Service.class),
          "StatefulSet", new Kind("apps/v1", StatefulSet.class),
          "PodDisruptionBudget", new Kind("policy/v1", PodDisruptionBudget.class),
          "NetworkPolicy", new Kind("networking.k8s.io/v1", NetworkPolicy.class));

  private record Kind(String apiVersion, Class<? extends HasMetadata> type) {}

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  final List<HasMetadata> objects;

  private KubernetesManifests(List<HasMetadata> objects) {
    this.objects = List.copyOf(objects);
  }

  static KubernetesManifests read(Path directory) throws IOException {
    JsonNode kustomization = YAML.readTree(directory.resolve("kustomization.yaml").toFile());
    assertEquals("Kustomization", kustomization.path("kind").asText());
    List<String> resources = new ArrayList<>();
    kustomization.path("resources").forEach(r -> resources.add(r.asText()));
    try (Stream<Path> files = Files.list(directory)) {
      TreeSet<String> present =
          files
              .map(f -> f.getFileName().toString())
              .filter(f -> f.endsWith(".yaml") && !f.equals("kustomization.yaml"))
              .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
      assertEquals(present, new TreeSet<>(resources), "kustomization lists every manifest");
    }
    List<HasMetadata> objects = new ArrayList<>();
    ObjectReader documents = YAML.readerFor(JsonNode.class);
    for (String resource : resources) {
      Path file = directory.resolve(resource);
      try (var iterator = documents.<JsonNode>readValues(file.toFile())) {
        while (iterator.hasNext()) {
          JsonNode document = iterator.next();
          if (document == null || document.isNull() || document.isEmpty()) {
            continue;
          }
          String kind = document.path("kind").asText();
          Kind expected = KINDS.get(kind);
          assertTrue(expected != null, file + ": unexpected kind \"" + kind + "\"");
          assertEquals(
              expected.apiVersion(), document.path("apiVersion").asText(), file + " " + kind);
          HasMetadata object = YAML.treeToValue(document, expected.type());
          assertTrue(
              object.getMetadata().getNamespace() == null,
              file + ": no namespace, the one given to kubectl applies");
          assertKnownFieldsOnly(object, file + " " + kind);
          objects.add(object);
        }
      }
    }
    return new KubernetesManifests(objects);
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> T only(Class<T> type) {
    List<T> found = all(type);
    assertEquals(1, found.size(), "one " + type.getSimpleName());
    return found.get(0);
  }

  /**
   * fabric8 keeps what it does not know in each object's additional properties; any there is a
   * field the API server would not know either.
   */
  static void assertKnownFieldsOnly(Object value, String where) {
    if (value == null) {
      return;
    }
    if (value instanceof Collection<?> items) {
      items.forEach(item -> assertKnownFieldsOnly(item, where));
      return;
    }
    if (value instanceof Map<?, ?> entries) {
      entries.values().forEach(item -> assertKnownFieldsOnly(item, where));
      return;
    }
    if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get")
          || getter.getName().equals("getClass")) {
        continue;
      }
      Object field;
      try {
        field = getter.invoke(value);
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new AssertionError("cannot read " + getter, e);
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        assertEquals(
            Map.of(), field, where + ": fields unknown to " + value.getClass().getSimpleName());
      } else {
        assertKnownFieldsOnly(field, where);
      }
    }
  }
}
