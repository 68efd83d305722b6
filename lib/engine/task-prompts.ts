/**
 * Florence-2 task tokens and the prompt text the processor substitutes for them (Florence-2's processing code). The first
 * three are Florence-VL's breadth prompts. Tasks marked `takesInput` need text after the token.
 */
export interface TaskSpec {
  prompt: string;
  takesInput: boolean;
  /** How the generated text is post-processed. */
  output: "text" | "boxes" | "quads";
}

export const FLORENCE2_TASKS = {
  "<CAPTION>": { prompt: "What does the image describe?", takesInput: false, output: "text" },
  "<DETAILED_CAPTION>": {
    prompt: "Describe in detail what is shown in the image.",
    takesInput: false,
    output: "text",
  },
  "<MORE_DETAILED_CAPTION>": {
    prompt: "Describe with a paragraph what is shown in the image.",
    takesInput: false,
    output: "text",
  },
  "<OCR>": { prompt: "What is the text in the image?", takesInput: false, output: "text" },
  "<OCR_WITH_REGION>": {
    prompt: "What is the text in the image, with regions?",
    takesInput: false,
    output: "quads",
  },
  "<OD>": {
    prompt: "Locate the objects with category name in the image.",
    takesInput: false,
    output: "boxes",
  },
  "<DENSE_REGION_CAPTION>": {
    prompt: "Locate the objects in the image, with their descriptions.",
    takesInput: false,
    output: "boxes",
  },
  "<REGION_PROPOSAL>": {
    prompt: "Locate the region proposals in the image.",
    takesInput: false,
    output: "boxes",
  },
  "<CAPTION_TO_PHRASE_GROUNDING>": {
    prompt: "Locate the phrases in the caption: {input}",
    takesInput: true,
    output: "boxes",
  },
  "<OPEN_VOCABULARY_DETECTION>": {
    prompt: "Locate {input} in the image.",
    takesInput: true,
    output: "boxes",
  },
  "<REGION_TO_DESCRIPTION>": {
    prompt: "What does the region {input} describe?",
    takesInput: true,
    output: "text",
  },
  "<REGION_TO_OCR>": { prompt: "What text is in the region {input}?", takesInput: true, output: "text" },
} as const satisfies Record<string, TaskSpec>;

export type TaskToken = keyof typeof FLORENCE2_TASKS;

/** Florence-VL's three breadth prompts, in its fusion order. */
export const FLORENCE_VL_BREADTH_TASKS = ["<DETAILED_CAPTION>", "<OCR>", "<DENSE_REGION_CAPTION>"] as const;

/** A breadth prompt: a known task token, or free text that runs as an extra prompt. */
export interface BreadthPrompt {
  /** The task token, or `custom:<text>` for free text. */
  key: string;
  /** The exact text the encoder sees. */
  text: string;
  output: TaskSpec["output"];
}

export function isTaskToken(value: string): value is TaskToken {
  return Object.hasOwn(FLORENCE2_TASKS, value);
}

/**
 * Resolves a user prompt: a task token becomes its prompt text (with `input` substituted where the task takes
 * one); anything else is taken verbatim as a custom prompt.
 */
export function resolvePrompt(prompt: string, input?: string): BreadthPrompt {
  if (!isTaskToken(prompt)) return { key: `custom:${prompt}`, text: prompt, output: "text" };
  const spec: TaskSpec = FLORENCE2_TASKS[prompt];
  if (spec.takesInput && (input === undefined || input.length === 0)) {
    throw new TypeError(`${prompt} needs input text (e.g. a phrase or a region).`);
  }
  return {
    key: prompt,
    text: spec.takesInput ? spec.prompt.replace("{input}", input ?? "") : spec.prompt,
    output: spec.output,
  };
}
