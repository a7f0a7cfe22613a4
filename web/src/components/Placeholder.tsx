/** Marks a screen that is not built yet. No Placeholder may remain in a release. */
export function Placeholder({ title }: { title: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <p>This screen is being built.</p>
    </section>
  );
}
