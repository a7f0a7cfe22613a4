import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, unwrap } from "../../api/client";
import { formatCents } from "../../lib/money";
import { ConfirmDialog } from "../../admin/ConfirmDialog";
import { ProductClassForm, TIERS, type ProductClass, type ProductClassBody } from "../../admin/ProductClassForm";
import { Crumbs, PagedTable, useCursorPages } from "../../admin/parts";

const KEY = ["admin", "product-classes"];

export default function ProductClassesPage() {
  const queryClient = useQueryClient();
  const pages = useCursorPages();
  const [mode, setMode] = useState<{ kind: "closed" } | { kind: "new" } | { kind: "edit"; product: ProductClass }>({
    kind: "closed",
  });
  const [deleting, setDeleting] = useState<ProductClass | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const formHeading = useRef<HTMLHeadingElement>(null);

  const list = useQuery({
    queryKey: [...KEY, pages.cursor],
    queryFn: async () =>
      unwrap(await api.GET("/api/admin/product-classes", { params: { query: { limit: 20, cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
  });

  const save = useMutation({
    mutationFn: async (body: ProductClassBody) =>
      mode.kind === "edit"
        ? unwrap(
            await api.PATCH("/api/admin/product-classes/{product_class_id}", {
              params: { path: { product_class_id: mode.product.id } },
              body,
            }),
          )
        : unwrap(await api.POST("/api/admin/product-classes", { body })),
    onSuccess: (product) => {
      setNotice(mode.kind === "edit" ? `Saved “${product.name}”.` : `Added “${product.name}” to the catalogue.`);
      setMode({ kind: "closed" });
      void queryClient.invalidateQueries({ queryKey: KEY });
    },
  });

  const remove = useMutation({
    mutationFn: async (product: ProductClass) => {
      unwrap(
        await api.DELETE("/api/admin/product-classes/{product_class_id}", {
          params: { path: { product_class_id: product.id } },
        }),
      );
      return product;
    },
    onSuccess: (product) => {
      setNotice(`Deleted “${product.name}”.`);
      setDeleting(null);
      void queryClient.invalidateQueries({ queryKey: KEY });
    },
  });

  useEffect(() => {
    if (mode.kind !== "closed") formHeading.current?.focus();
  }, [mode]);

  const open = (next: typeof mode) => {
    save.reset();
    setNotice(null);
    setMode(next);
  };

  return (
    <section aria-labelledby="pc-title" className="stack">
      <Crumbs trail={[{ to: "/admin/product-classes", label: "Product classes" }]} />
      <h1 id="pc-title">Product classes</h1>
      <p className="muted">The prizes lots are made of. A class no lot uses can be deleted.</p>
      {notice && (
        <p role="status" className="alert ok">
          {notice}
        </p>
      )}
      {mode.kind === "closed" && (
        <div>
          <button type="button" onClick={() => open({ kind: "new" })}>
            Add a product class
          </button>
        </div>
      )}
      {mode.kind !== "closed" && (
        <section aria-labelledby="pc-form-title" className="card">
          <h2 id="pc-form-title" tabIndex={-1} ref={formHeading}>
            {mode.kind === "edit" ? `Edit “${mode.product.name}”` : "Add a product class"}
          </h2>
          <ProductClassForm
            key={mode.kind === "edit" ? mode.product.id : "new"}
            initial={mode.kind === "edit" ? mode.product : undefined}
            submitLabel={mode.kind === "edit" ? "Save changes" : "Add product class"}
            busy={save.isPending}
            error={save.error}
            onSubmit={(body) => save.mutate(body)}
            onCancel={() => setMode({ kind: "closed" })}
          />
        </section>
      )}

      <h2>Catalogue</h2>
      <PagedTable
        label="Product classes"
        query={list}
        pages={pages}
        caption="Oldest first"
        columns={["Name", "Brand", "Category", "Tier", "Retail value", "Actions"]}
        empty="No product classes yet: add the first one."
        row={(product) => (
          <tr key={product.id}>
            <td className="wrap">{product.name}</td>
            <td>{product.brand ?? "—"}</td>
            <td>{product.category}</td>
            <td>{TIERS.find((t) => t.value === product.tier)?.label ?? product.tier}</td>
            <td>{formatCents(product.retail_value_cents)}</td>
            <td>
              <div className="row" style={{ flexWrap: "nowrap", gap: "0.5rem" }}>
                <button
                  type="button"
                  className="secondary small"
                  onClick={() => open({ kind: "edit", product })}
                  aria-label={`Edit ${product.name}`}
                >
                  Edit
                </button>
                <button
                  type="button"
                  className="secondary small"
                  onClick={() => {
                    remove.reset();
                    setDeleting(product);
                  }}
                  aria-label={`Delete ${product.name}`}
                >
                  Delete
                </button>
              </div>
            </td>
          </tr>
        )}
      />

      <ConfirmDialog
        open={deleting !== null}
        title="Delete this product class?"
        confirmLabel="Delete product class"
        danger
        busy={remove.isPending}
        error={remove.error}
        onConfirm={() => deleting && remove.mutate(deleting)}
        onCancel={() => setDeleting(null)}
      >
        <p>
          “{deleting?.name}” will be removed from the catalogue for good; this cannot be undone. A class that any lot
          uses (whatever its status) cannot be deleted: the platform refuses and nothing changes.
        </p>
      </ConfirmDialog>
    </section>
  );
}
