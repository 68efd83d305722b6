import { describe, expect, it } from "vitest";
import { FLORENCE_VL_BREADTH_TASKS, resolvePrompt } from "~/lib/engine/task-prompts";

describe("task prompts", () => {
  it("maps Florence-VL's three breadth tasks to its exact prompt strings", () => {
    expect(FLORENCE_VL_BREADTH_TASKS.map((task) => resolvePrompt(task).text)).toEqual([
      "Describe in detail what is shown in the image.",
      "What is the text in the image?",
      "Locate the objects in the image, with their descriptions.",
    ]);
    expect(resolvePrompt("<DENSE_REGION_CAPTION>").output).toBe("boxes");
  });

  it("substitutes input for tasks that take one and refuses them without it", () => {
    expect(resolvePrompt("<OPEN_VOCABULARY_DETECTION>", "a red star").text).toBe(
      "Locate a red star in the image.",
    );
    expect(() => resolvePrompt("<CAPTION_TO_PHRASE_GROUNDING>")).toThrow(/needs input/);
  });

  it("takes free text as a custom breadth prompt", () => {
    expect(resolvePrompt("What colour is the largest shape?")).toEqual({
      key: "custom:What colour is the largest shape?",
      text: "What colour is the largest shape?",
      output: "text",
    });
  });
});
