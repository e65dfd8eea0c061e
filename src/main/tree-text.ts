// Renders a leveled list as a box-drawing tree (`├─┬`, `└──`, `│ `) or as a plain indented
// list, the two layouts of `cerbos compile --output tree|list`.

export interface LeveledItem {
  readonly level: number;
  readonly text: string;
}

interface TreeNode {
  readonly text: string;
  readonly children: TreeNode[];
}

/** Builds the forest a leveled list describes; a jump of several levels nests under the last node. */
function toForest(items: readonly LeveledItem[]): TreeNode[] {
  const roots: TreeNode[] = [];
  const stack: { level: number; node: TreeNode }[] = [];
  for (const item of items) {
    const node: TreeNode = { text: item.text, children: [] };
    while (stack.length > 0 && stack[stack.length - 1]!.level >= item.level) stack.pop();
    const parent = stack[stack.length - 1];
    (parent ? parent.node.children : roots).push(node);
    stack.push({ level: item.level, node });
  }
  return roots;
}

/** Box-drawing tree; `line` styles the connector characters. */
export function renderTree(
  items: readonly LeveledItem[],
  line: (s: string) => string = (s) => s,
): string[] {
  const out: string[] = [];
  const walk = (nodes: readonly TreeNode[], prefix: string): void => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1;
      const branch =
        line(last ? "└" : "├") + line("─") + line(node.children.length > 0 ? "┬" : "─");
      out.push(`${prefix}${branch}${node.text}`);
      walk(node.children, prefix + (last ? "  " : `${line("│")} `));
    });
  };
  walk(toForest(items), "");
  return out;
}

/** Plain list indented two spaces per level. */
export function renderList(items: readonly LeveledItem[]): string[] {
  const out: string[] = [];
  const walk = (nodes: readonly TreeNode[], indent: string): void => {
    for (const node of nodes) {
      out.push(`${indent}${node.text}`);
      walk(node.children, `${indent}  `);
    }
  };
  walk(toForest(items), "");
  return out;
}
