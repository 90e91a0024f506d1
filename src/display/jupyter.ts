/** A Jupyter mimebundle: what the Deno kernel shows for a value. */
export interface MimeBundle {
  /** Rich output. */
  readonly "text/html": string;
  /** Output for terminals and plain frontends. */
  readonly "text/plain": string;
}

/**
 * The key of the method the Deno Jupyter kernel calls to show a value (it awaits the returned
 * mimebundle): `Symbol.for("Jupyter.display")`, shared with every other library.
 *
 * @example
 * ```ts
 * import { dispatch, JUPYTER_DISPLAY, task } from "@deepmodeling/dpdispatcher";
 *
 * const builder = dispatch({ workBase: "work" }).tasks(task({ command: "true", taskWorkPath: "t0" }));
 * console.log(builder[JUPYTER_DISPLAY]()["text/html"].startsWith("<")); // true
 * ```
 */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/**
 * Gives an object a display method that is not enumerable, so `JSON.stringify`, spreads and
 * deep equality never see it. Call it before freezing the object.
 */
export function defineDisplay<T extends object>(value: T, render: () => MimeBundle): T {
  Object.defineProperty(value, JUPYTER_DISPLAY, { value: render, enumerable: false });
  return value;
}
