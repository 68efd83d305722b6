import path from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidEnvironmentError, parseEnv } from "~/server/env";

describe("parseEnv", () => {
  it("fills every default and derives the database file and inference URL", () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.INFERENCE_PORT).toBe(3101);
    expect(env.EXECUTION_PROVIDER).toBe("cpu");
    expect(env.dataDir).toBe(path.resolve("data"));
    expect(env.DATABASE_URL).toBe(`file:${path.resolve("data", "lens.db")}`);
    expect(env.INFERENCE_URL).toBe("http://127.0.0.1:3101");
    expect(env.modelDir).toBe(path.resolve("models/florence-vl-mini"));
    expect(env.ORT_ALLOW_SPINNING).toBe(false);
  });

  it("reads ONNX Runtime spinning as a boolean and refuses anything else", () => {
    expect(parseEnv({ ORT_ALLOW_SPINNING: "1" }).ORT_ALLOW_SPINNING).toBe(true);
    expect(parseEnv({ ORT_ALLOW_SPINNING: "false" }).ORT_ALLOW_SPINNING).toBe(false);
    expect(() => parseEnv({ ORT_ALLOW_SPINNING: "yes" })).toThrow(/ORT_ALLOW_SPINNING/);
  });

  it("leaves the served weight variant to the model folder unless MODEL_DTYPE names one", () => {
    expect(parseEnv({}).MODEL_DTYPE).toBeUndefined();
    expect(parseEnv({ MODEL_DTYPE: "fp16" }).MODEL_DTYPE).toBe("fp16");
    expect(() => parseEnv({ MODEL_DTYPE: "int8" })).toThrow(/MODEL_DTYPE/);
  });

  it("reads the known model folders and the inference memory budget", () => {
    const defaults = parseEnv({});
    // The bundled model's parent folder, `models`, unless MODELS_DIR names another.
    expect(parseEnv({ MODEL_DIR: "/srv/lens/models/florence-vl-3b" }).modelsDir).toBe("/srv/lens/models");
    expect([defaults.modelsDir, defaults.modelDirs, defaults.inferenceMemoryBytes]).toEqual([
      path.resolve("models"),
      [],
      null,
    ]);
    const env = parseEnv({
      MODELS_DIR: "/srv/models",
      MODEL_DIRS: `a, /b${path.delimiter}c`,
      INFERENCE_MEMORY_MB: "64",
    });
    expect(env.modelsDir).toBe("/srv/models");
    expect(env.modelDirs).toEqual([path.resolve("a"), "/b", path.resolve("c")]);
    expect(env.inferenceMemoryBytes).toBe(64 * 1024 * 1024);
    expect(() => parseEnv({ INFERENCE_MEMORY_MB: "0" })).toThrow(/INFERENCE_MEMORY_MB/);
  });

  it("derives paths and URLs from the settings it is given", () => {
    const env = parseEnv({ DATA_DIR: "/srv/lens", INFERENCE_HOST: "10.0.0.5", INFERENCE_PORT: "4000" });
    expect(env.DATABASE_URL).toBe("file:/srv/lens/lens.db");
    expect(env.INFERENCE_URL).toBe("http://10.0.0.5:4000");
  });

  it("keeps explicit URLs", () => {
    const env = parseEnv({ DATABASE_URL: "file:/tmp/x.db", INFERENCE_URL: "http://gpu-1:3101" });
    expect(env.DATABASE_URL).toBe("file:/tmp/x.db");
    expect(env.INFERENCE_URL).toBe("http://gpu-1:3101");
  });

  it("rejects bad values with a message naming each setting", () => {
    expect(() => parseEnv({ PORT: "70000", EXECUTION_PROVIDER: "tpu" })).toThrow(InvalidEnvironmentError);
    try {
      parseEnv({ PORT: "70000", EXECUTION_PROVIDER: "tpu" });
    } catch (error) {
      expect(String(error)).toMatch(/PORT/);
      expect(String(error)).toMatch(/EXECUTION_PROVIDER/);
    }
  });
});
