package io.porthole.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Keeps conf/ and docs/configuration.md true to the key table. */
class ConfigDocsTest {

  private static final Path ROOT = Path.of("../..");

  @Test
  @DisplayName("conf/porthole.json holds every key at its default, and nothing else")
  void defaultsFile() throws IOException {
    JsonObject file = new JsonObject(Files.readString(ROOT.resolve("conf/porthole.json")));
    assertThat(file.fieldNames())
        .containsExactlyInAnyOrderElementsOf(Settings.defaults().fieldNames());
    assertThat(Settings.validate(file)).isEqualTo(Settings.validate(Settings.defaults()));
  }

  @Test
  @DisplayName("conf/config.example.json is a valid configuration naming every key")
  void exampleFile() throws IOException {
    JsonObject file = new JsonObject(Files.readString(ROOT.resolve("conf/config.example.json")));
    assertThat(file.fieldNames())
        .containsExactlyInAnyOrderElementsOf(Settings.defaults().fieldNames());
    Settings.validate(file);
  }

  @Test
  @DisplayName("docs/configuration.md documents every key with its environment variable")
  void docs() throws IOException {
    String doc = Files.readString(ROOT.resolve("docs/configuration.md"));
    for (ConfigKey key : Settings.ALL) {
      assertThat(doc)
          .as(key.name())
          .contains("`" + key.name() + "`")
          .contains("`" + key.env() + "`");
    }
  }
}
