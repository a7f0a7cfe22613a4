import { Placeholder } from "../../components/Placeholder";

export default function UsersPage() {
  return <Placeholder title="Users" />;
}
