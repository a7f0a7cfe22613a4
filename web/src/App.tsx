// Every screen, one route each. Screens are loaded on first visit (code-split), so the
// first page a player opens downloads only what it shows.
import { lazy } from "react";
import { createBrowserRouter, Outlet } from "react-router";
import { Layout } from "./components/Layout";
import { RequireAuth, SessionExpiryWatcher } from "./auth/session";

const page = (load: () => Promise<{ default: React.ComponentType }>) => {
  const Component = lazy(load);
  return <Component />;
};
const player = (load: () => Promise<{ default: React.ComponentType }>) => (
  <RequireAuth>{page(load)}</RequireAuth>
);
const admin = (load: () => Promise<{ default: React.ComponentType }>) => (
  <RequireAuth admin>{page(load)}</RequireAuth>
);

function Root() {
  return (
    <>
      <SessionExpiryWatcher />
      <Outlet />
    </>
  );
}

export const router = createBrowserRouter([
  {
    element: <Root />,
    children: [
      {
        element: <Layout />,
        children: [
          { index: true, element: page(() => import("./pages/LotsPage")) },
          { path: "lots/:lotId", element: page(() => import("./pages/LotPage")) },
          { path: "lots/:lotId/draw", element: page(() => import("./pages/DrawPage")) },
          { path: "checkout/:outcome", element: page(() => import("./pages/CheckoutResultPage")) },
          { path: "l/:token", element: page(() => import("./pages/PrivateLotPage")) },
          { path: "hosts/:hostId", element: page(() => import("./pages/host/HostPublicPage")) },
          { path: "terms", element: page(() => import("./pages/TermsPage")) },
          { path: "privacy", element: page(() => import("./pages/PrivacyPage")) },
          { path: "ledger", element: page(() => import("./pages/LedgerPage")) },

          { path: "login", element: page(() => import("./pages/auth/LoginPage")) },
          { path: "register", element: page(() => import("./pages/auth/RegisterPage")) },
          { path: "verify", element: page(() => import("./pages/auth/VerifyEmailPage")) },
          { path: "forgot-password", element: page(() => import("./pages/auth/ForgotPasswordPage")) },
          { path: "reset-password", element: page(() => import("./pages/auth/ResetPasswordPage")) },
          { path: "account", element: player(() => import("./pages/auth/AccountPage")) },

          { path: "me/entries", element: player(() => import("./pages/me/EntriesPage")) },
          { path: "me/reveals", element: player(() => import("./pages/me/RevealsPage")) },
          { path: "me/reveals/:revealId", element: player(() => import("./pages/me/RevealPage")) },
          { path: "me/credits", element: player(() => import("./pages/me/CreditsPage")) },
          { path: "me/notifications", element: player(() => import("./pages/me/NotificationsPage")) },
          { path: "me/play", element: player(() => import("./pages/me/PlayPage")) },
          { path: "me/data", element: player(() => import("./pages/me/DataPage")) },
          { path: "purchases/:purchaseId/refund", element: player(() => import("./pages/me/RefundChoicePage")) },
          { path: "host/payouts", element: player(() => import("./pages/host/HostPayoutsPage")) },

          { path: "host", element: player(() => import("./pages/host/HostHomePage")) },
          { path: "host/apply", element: player(() => import("./pages/host/HostApplyPage")) },
          { path: "host/lots/new", element: player(() => import("./pages/host/HostLotEditPage")) },
          { path: "host/lots/:lotId", element: player(() => import("./pages/host/HostLotEditPage")) },

          { path: "admin", element: admin(() => import("./pages/admin/AdminHomePage")) },
          { path: "admin/product-classes", element: admin(() => import("./pages/admin/ProductClassesPage")) },
          { path: "admin/lots", element: admin(() => import("./pages/admin/AdminLotsPage")) },
          { path: "admin/lots/new", element: admin(() => import("./pages/admin/AdminLotEditPage")) },
          { path: "admin/lots/:lotId", element: admin(() => import("./pages/admin/AdminLotEditPage")) },
          { path: "admin/users", element: admin(() => import("./pages/admin/UsersPage")) },
          { path: "admin/payments", element: admin(() => import("./pages/admin/PaymentsPage")) },
          { path: "admin/ledger", element: admin(() => import("./pages/admin/LedgerPage")) },
          { path: "admin/tasks", element: admin(() => import("./pages/admin/TasksPage")) },
          { path: "admin/payouts", element: admin(() => import("./pages/admin/PayoutsAdminPage")) },
          { path: "admin/fulfillment", element: admin(() => import("./pages/admin/FulfillmentAdminPage")) },
          { path: "host/fulfillment", element: player(() => import("./pages/host/HostFulfillmentPage")) },
          { path: "admin/hosts", element: admin(() => import("./pages/admin/HostsPage")) },
          { path: "admin/analytics", element: admin(() => import("./pages/admin/AnalyticsPage")) },
          { path: "admin/audit-log", element: admin(() => import("./pages/admin/AuditLogPage")) },

          { path: "*", element: page(() => import("./pages/NotFoundPage")) },
        ],
      },
    ],
  },
]);
