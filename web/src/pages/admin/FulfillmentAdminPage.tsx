// Prize fulfillment for admins: the platform lots' prizes to ship (with the address once
// claimed) and every dispute, with its two resolutions (release, or compensate the winner).
import { Link } from "react-router";
import { api, unwrap } from "../../api/client";
import { Queue } from "../../fulfillment/Queue";
import "../../admin/admin.css";
import "../../me/me.css";

export default function FulfillmentAdminPage() {
  return (
    <section aria-labelledby="fulfillment-title" className="stack">
      <p>
        <Link to="/admin">Admin desk</Link>
      </p>
      <h1 id="fulfillment-title">Prize fulfillment</h1>
      <p>
        Platform lots&apos; prizes are shipped from here; host lots&apos; prizes by their hosts. Every disputed prize
        is listed for you to resolve: release (the prize counts as delivered and a host is paid), or compensate (the
        winner is owed the prize&apos;s retail value in cash).
      </p>
      <Queue
        queryKey={["admin", "fulfillment"]}
        empty="Nothing to ship or resolve."
        load={async (status, cursor) =>
          unwrap(
            await api.GET("/api/admin/fulfillment", {
              params: { query: { limit: 25, cursor, ...(status ? { status } : {}) } },
            }),
          )
        }
        ship={async (revealId, body) =>
          unwrap(
            await api.POST("/api/admin/reveals/{reveal_id}/ship", { params: { path: { reveal_id: revealId } }, body }),
          )
        }
        resolve={async (revealId, resolution, note) =>
          unwrap(
            await api.POST("/api/admin/reveals/{reveal_id}/resolve", {
              params: { path: { reveal_id: revealId } },
              body: { resolution, note },
            }),
          )
        }
      />
    </section>
  );
}
