// Apply to become a host: the application, then the dashboard shows its review.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Navigate, useNavigate } from "react-router";
import { api, unwrap } from "../../api/client";
import { ProblemAlert } from "../../components/ProblemAlert";
import { fetchMyHost, HOST_KEY } from "../../host/api";
import { ProfileForm, type Application } from "../../host/ProfileForm";

export default function HostApplyPage() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const mine = useQuery({ queryKey: HOST_KEY, queryFn: fetchMyHost });
  const apply = useMutation({
    mutationFn: async (body: Application) => unwrap(await api.POST("/api/hosts/apply", { body })),
    onSuccess: (host) => {
      queryClient.setQueryData(HOST_KEY, host);
      void navigate("/host");
    },
  });
  if (mine.isPending) return <p role="status">Loading…</p>;
  if (mine.isError) return <ProblemAlert error={mine.error} />;
  if (mine.data) return <Navigate to="/host" replace />;
  return (
    <section aria-labelledby="apply-title" className="stack">
      <h1 id="apply-title">Become a host</h1>
      <p className="muted">
        Sell your own prizes on ALOT!. We review every application. Once approved, you create lots, we review each one
        before it opens, and your share of a funded lot is paid once the winner has the prize.
      </p>
      <ProfileForm submitLabel="Apply" busy={apply.isPending} error={apply.error} onSubmit={(body) => apply.mutate(body)} />
    </section>
  );
}
