import { Placeholder } from "../../components/Placeholder";

export default function ResetPasswordPage() {
  return <Placeholder title="Choose a new password" />;
}
