import type { ReactNode } from "react";

/** A wide table that scrolls sideways in its own box on a narrow screen. The box takes
 * the keyboard focus and has a name, so a keyboard user can scroll it too (arrow keys). */
export function TableScroll({ label, className, children }: { label: string; className?: string; children: ReactNode }) {
  return (
    <div className={className ? `table-scroll ${className}` : "table-scroll"} tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
